import { renderVcl } from "../../../controller/varnish/vcl";
import { input, site, sub } from "./fixtures";

const THUMB = "a".repeat(43);
const acme = (redirect: boolean, hsts?: { maxAge: number; includeSubDomains: boolean }) => ({ acme: true, redirect, ...(hsts ? { hsts } : {}) });

describe("VCL of HTTPS", () => {
  it("is absent without a TLS terminator: the VCL of a plain-http cluster does not change", () => {
    const vcl = renderVcl(input([site("a", { tls: acme(true) })]));
    expect(vcl).not.toContain("local.socket");
    expect(vcl).not.toContain("acme-challenge");
    expect(vcl).not.toContain("Strict-Transport-Security");
  });

  it("takes https from the terminator's listener only, never from a client's header", () => {
    const recv = sub(renderVcl(input([site("a")], { tls: {} })), "vcl_recv");
    expect(recv).toContain('if (local.socket == "tls") {\n    set req.http.X-Forwarded-Proto = "https";\n  } else {\n    set req.http.X-Forwarded-Proto = "http";\n  }');
    // Before the routing: nothing below sees a forged value.
    expect(recv.indexOf("local.socket")).toBeLessThan(recv.indexOf("X-Simulium-Site"));
  });

  it("answers HTTP-01 with <token>.<thumbprint> for the domains of ACME sites only, before any redirect", () => {
    const vcl = renderVcl(input([site("a", { domains: ["a.test", "www.a.test"], tls: acme(true) }), site("b")], { tls: { acmeThumbprint: THUMB } }));
    const recv = sub(vcl, "vcl_recv");
    expect(recv).toContain('if (req.url ~ "^/\\.well-known/acme-challenge/[A-Za-z0-9_-]{1,256}$" && (req.http.host == "a.test" || req.http.host == "www.a.test")) {');
    expect(recv).toContain(`regsub(req.url, "^.*/", "") + ".${THUMB}"`);
    expect(recv.indexOf("acme-challenge")).toBeLessThan(recv.indexOf("synth(751)"));
    expect(sub(vcl, "vcl_synth")).toContain("synthetic(req.http.X-Simulium-Acme);");
  });

  it("redirects plain http of the sites whose certificate is served, to the same URL on https", () => {
    const vcl = renderVcl(input([site("a", { tls: acme(true) }), site("b", { tls: acme(false) })], { tls: {} }));
    expect(sub(vcl, "vcl_recv")).toContain('if (req.http.X-Forwarded-Proto == "http" && (req.http.host == "a.example.org")) {\n    return (synth(751));');
    expect(sub(vcl, "vcl_recv")).not.toContain('"b.example.org")) {\n    return (synth(751))');
    expect(sub(vcl, "vcl_synth")).toContain('set resp.http.Location = "https://" + req.http.host + req.url;');
  });

  it("names the https port in the redirect when visitors reach https on another port than 443", () => {
    const synth = (httpsPort?: number) => sub(renderVcl(input([site("a", { tls: acme(true) })], { tls: httpsPort === undefined ? {} : { httpsPort } })), "vcl_synth");
    // The demo publishes https on 8443: a redirect to :443 would reach nothing.
    expect(synth(8443)).toContain('set resp.http.Location = "https://" + req.http.host + ":8443" + req.url;');
    expect(synth(443)).toContain('set resp.http.Location = "https://" + req.http.host + req.url;');
    expect(() => synth(0)).toThrow(/not a port/);
  });

  it("sends HSTS only on https answers of the sites that ask for it", () => {
    const vcl = renderVcl(input([site("a", { tls: acme(true, { maxAge: 600, includeSubDomains: true }) }), site("b", { tls: acme(true) })], { tls: {} }));
    const deliver = sub(vcl, "vcl_deliver");
    expect(deliver).toContain('if (req.http.X-Forwarded-Proto == "https" && (req.http.host == "a.example.org")) {\n    set resp.http.Strict-Transport-Security = "max-age=600; includeSubDomains";');
    expect(deliver.match(/Strict-Transport-Security/g)).toHaveLength(1);
  });

  it("refuses a thumbprint that could inject VCL", () => {
    expect(() => renderVcl(input([site("a", { tls: acme(true) })], { tls: { acmeThumbprint: 'x"; }' } }))).toThrow(/not an ACME account thumbprint/);
  });
});
