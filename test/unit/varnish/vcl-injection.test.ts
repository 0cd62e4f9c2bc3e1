import { renderVcl, VclInputError } from "../../../controller/varnish/vcl";
import type { VclInput } from "../../../controller/varnish/vcl";
import { healthcheck, input, site } from "./fixtures";

function rejects(bad: VclInput, field: RegExp): void {
  let caught: unknown;
  try {
    renderVcl(bad);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(VclInputError);
  expect((caught as VclInputError).kind).toBe("vcl-input");
  expect((caught as VclInputError).field).toMatch(field);
}

describe("renderVcl refuses input that could inject VCL", () => {
  it.each([
    ['acme"; } sub vcl_recv { return (pipe); } #'],
    ["Acme"],
    ["acme_web"],
    ["1acme"],
    ["acme\n"],
    [""],
  ])("site name %j", (name) => rejects(input([site("acme", { name })]), /^sites\[\d+\]\.name$/));

  it.each([
    ['evil.org" || req.http.host ~ "'],
    ["evil.org\nsub vcl_recv {}"],
    ["EVIL.org"],
    ["*.evil.org"],
    ["evil.org:8080"],
    ["evil.org."],
    ["localhost"],
    ["evil .org"],
  ])("domain %j", (domain) => rejects(input([site("acme", { domains: ["ok.org", domain] })]), /^sites\[acme\]\.domains\[1\]$/));

  it.each([
    ['10.0.0.1"; .port = "1'],
    ["acme_web"],
    ["10.0.0.256"],
    ["::1"],
  ])("dnsrr host %j (IPv4 only)", (host) => rejects(input([site("acme", { backends: [{ host, port: 80 }] })]), /backends\[0\]\.host$/));

  it.each([['acme_web"; }'], ["acme web"], ["acme_web\n"], ["-acme"]])("vip host %j", (host) =>
    rejects(input([site("acme", { backends: [{ host, port: 80 }] })], { mode: "vip" }), /backends\[0\]\.host$/),
  );

  it("accepts a service name or an IPv4 in vip mode, but only one per site", () => {
    expect(() => renderVcl(input([site("acme", { backends: [{ host: "acme_web", port: 80 }] })], { mode: "vip" }))).not.toThrow();
    rejects(
      input([site("acme", { backends: [{ host: "acme_web", port: 80 }, { host: "10.0.0.1", port: 80 }] })], { mode: "vip" }),
      /backends$/,
    );
  });

  it.each([[0], [65536], [80.5], [Number.NaN]])("port %p", (port) =>
    rejects(input([site("acme", { backends: [{ host: "10.0.0.1", port }] })]), /backends\[0\]\.port$/),
  );

  it.each([
    ['/health"; } probe x { .url = "/'],
    ["/health{"],
    ["/health\n"],
    ["health"],
    ["/a b"],
    ["/%2"],
    ["/%zz"],
  ])("healthcheck path %j", (path) =>
    rejects(input([site("acme", { healthcheck: { ...healthcheck, path } })]), /healthcheck\.path$/),
  );

  it("keeps a well-formed %-escape verbatim (VCL strings decode nothing)", () => {
    const vcl = renderVcl(input([site("acme", { healthcheck: { ...healthcheck, path: "/a%22b?x=1&y=%2F" } })]));
    expect(vcl).toContain('.url = "/a%22b?x=1&y=%2F";');
  });

  it.each([[0], [-1], [1.5], [Number.POSITIVE_INFINITY]])("healthcheck interval %p", (interval) =>
    rejects(input([site("acme", { healthcheck: { ...healthcheck, interval } })]), /healthcheck\.interval$/),
  );

  it.each([['/shop") || true || ("'], ["/shop|.*"], ["/shop(x)"], ["shop"], ["/sh op"]])("pass path %j", (p) =>
    rejects(input([site("acme", { routing: { passPaths: [p] } })]), /routing\.passPaths\[0\]$/),
  );

  it.each([["10.0.0.0/8"], ['10.0.0.1"; "0.0.0.0"/0'], ["fd00::1"], ["any"], ["10.0.0.256"]])("purger address %j", (ip) =>
    rejects(input([site("acme", { purgers: [ip] })]), /^sites\[acme\]\.purgers\[0\]$/),
  );

  it.each([
    ["}\nsub vcl_deliver {"],
    ["if (true) {"],
    ['set req.http.x = "}'],
    ["/* unterminated"],
  ])("snippet %j that leaves its subroutine", (recv) => rejects(input([site("acme")], { snippets: { recv } }), /^snippets\.recv$/));

  it("accepts braces inside snippet strings and comments", () => {
    const recv = 'set req.http.x = "}"; # }\nset req.http.y = {"}{"}; /* { */';
    expect(renderVcl(input([site("acme")], { snippets: { recv } }))).toContain(recv.split("\n")[0]);
  });

  it("refuses a domain claimed by two sites and a site declared twice", () => {
    rejects(input([site("a", { domains: ["x.org"] }), site("b", { domains: ["x.org"] })]), /^sites\[b\]\.domains$/);
    rejects(input([site("a"), site("a")]), /^sites\[a\]$/);
  });

  it("quotes a bad value safely in the message", () => {
    expect(() => renderVcl(input([site("acme", { domains: ["evil.org\nx"] })]))).toThrow(/"evil\.org\\nx"/);
  });
});
