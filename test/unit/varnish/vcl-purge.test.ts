import { renderVcl } from "../../../controller/varnish/vcl";
import { input, site, sub } from "./fixtures";

const pma = { site: "acme", tool: "phpmyadmin" as const, domain: "db.acme.example.org", backends: [{ host: "10.0.1.9", port: 80 }] };

describe("renderVcl: PURGE and BAN (cache invalidation)", () => {
  const vcl = renderVcl(input([site("acme", { purgers: ["10.0.1.10", "10.0.1.5", "10.0.1.5"] }), site("beta", { purgers: ["10.0.1.7"] }), site("idle")], { tools: [pma] }));
  const recv = sub(vcl, "vcl_recv");
  const branch = (domain: string) => {
    const start = recv.indexOf(`req.http.host == "${domain}"`);
    return recv.slice(start, recv.indexOf("\n  }", start));
  };

  it("declares one ACL per site of its own tasks' addresses, and none for the whole network", () => {
    expect(vcl).toContain('acl purgers_acme {\n  "10.0.1.5";\n  "10.0.1.10";\n}');
    expect(vcl).toContain('acl purgers_beta {\n  "10.0.1.7";\n}');
    expect(vcl).not.toContain("purgers_idle");
    expect(vcl).not.toMatch(/"\/\d+;/);
    expect(vcl).not.toContain("simulium_purge");
  });

  it("lets a host's PURGE and BAN through only from that host's site's tasks", () => {
    expect(branch("acme.example.org")).toContain('if ((req.method == "PURGE" || req.method == "BAN") && client.ip !~ purgers_acme) {\n      return (synth(405));');
    expect(branch("beta.example.org")).toContain("client.ip !~ purgers_beta");
    expect(branch("beta.example.org")).not.toContain("purgers_acme");
    // No task of its own: nobody may invalidate it.
    expect(branch("idle.example.org")).toContain('if (req.method == "PURGE" || req.method == "BAN") {\n      return (synth(405));');
    expect(branch("db.acme.example.org")).toContain('if (req.method == "PURGE" || req.method == "BAN") {\n      return (synth(405));');
    // The check is made where the site is known, before any invalidation is carried out.
    expect(recv.indexOf("client.ip !~ purgers_acme")).toBeLessThan(recv.indexOf("return (purge);"));
    expect(recv.indexOf("return (synth(404));")).toBeLessThan(recv.indexOf("return (purge);"));
  });

  it("bans one URL by exact match, never with the request URL as a regex", () => {
    expect(recv).toContain('ban("obj.http.X-Simulium-Host == " + req.http.host + " && obj.http.X-Simulium-Url == " + req.url);');
    expect(recv).not.toMatch(/X-Simulium-Url ~ " \+ req\.url/);
    expect(recv).toContain('if (req.url !~ "^/[A-Za-z0-9._~/?=&%+:,;@!$*()-]*$") {\n        return (synth(400');
  });

  it("refuses Cache-Tags outside [A-Za-z0-9:_.-] with 400 before building a ban, and makes dots literal", () => {
    const check = recv.indexOf('if (req.http.Cache-Tags !~ "^\\s*[A-Za-z0-9:_.-]+(\\s+[A-Za-z0-9:_.-]+)*\\s*$") {\n        return (synth(400');
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThan(recv.indexOf("obj.http.Cache-Tags ~"));
    expect(recv).toContain('"\\.", "[.]"');
  });

  it("checks the tag and URL patterns themselves against hostile input", () => {
    const tags = new RegExp("^\\s*[A-Za-z0-9:_.-]+(\\s+[A-Za-z0-9:_.-]+)*\\s*$");
    expect(["node:1 node_list", " config:system.site  x ", "a"].every((t) => tags.test(t))).toBe(true);
    expect(["node_list|.*", "a(b)", "a&&obj.http.x ~ .", "", "a\\d"].some((t) => tags.test(t))).toBe(false);
    const url = new RegExp("^/[A-Za-z0-9._~/?=&%+:,;@!$*()-]*$");
    expect(["/", "/node/1?page=2&x=%20", "/a(b)*"].every((u) => url.test(u))).toBe(true);
    expect(['/a"b', "/a\\b", "/a b", "x", "/a'b"].some((u) => url.test(u))).toBe(false);
  });
});
