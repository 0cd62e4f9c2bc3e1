import { renderVcl } from "../../../controller/varnish/vcl";
import { input, site, sub } from "./fixtures";

describe("renderVcl routing", () => {
  it("routes every domain of a site to that site's round-robin director", () => {
    const vcl = renderVcl(
      input([
        site("acme", { domains: ["acme.org", "www.acme.org"], backends: [{ host: "10.0.1.5", port: 80 }, { host: "10.0.1.6", port: 80 }] }),
        site("beta-org", { domains: ["beta.org"], backends: [{ host: "10.0.1.7", port: 8080 }] }),
      ]),
    );
    const recv = sub(vcl, "vcl_recv");
    expect(recv).toMatch(/if \(req\.http\.host == "acme\.org" \|\|\s+req\.http\.host == "www\.acme\.org"\) \{\n[^}]*\}\n\s+set req\.http\.X-Simulium-Site = "acme";\n\s+set req\.backend_hint = d_acme\.backend\(\);/);
    expect(recv).toMatch(/elsif \(req\.http\.host == "beta\.org"\) \{\n[^}]*\}\n\s+set req\.http\.X-Simulium-Site = "beta-org";\n\s+set req\.backend_hint = d_beta_org\.backend\(\);/);
    const init = sub(vcl, "vcl_init");
    expect(init).toContain("new d_acme = directors.round_robin();");
    expect(init).toContain("d_acme.add_backend(b_acme_0);");
    expect(init).toContain("d_acme.add_backend(b_acme_1);");
    expect(init).toContain("d_beta_org.add_backend(b_beta_org_0);");
    expect(vcl).toMatch(/backend b_beta_org_0 \{\n\s+\.host = "10\.0\.1\.7";\n\s+\.port = "8080";/);
    expect(vcl).toMatch(/^vcl 4\.1;/);
    expect(vcl).toContain("import directors;");
    expect(vcl).toContain("import std;");
  });

  it("strips the port and lower-cases the Host header before matching", () => {
    const recv = sub(renderVcl(input([site("acme")])), "vcl_recv");
    expect(recv).toContain('set req.http.host = regsub(std.tolower(req.http.host), ":[0-9]+$", "");');
    expect(recv.indexOf("std.tolower")).toBeLessThan(recv.indexOf('req.http.host == "acme.example.org"'));
  });

  it("answers an unknown host with a synthetic 404 page", () => {
    const vcl = renderVcl(input([site("acme")]));
    expect(sub(vcl, "vcl_recv")).toMatch(/\} else \{\n\s+return \(synth\(404\)\);\n\s+\}/);
    expect(sub(vcl, "vcl_synth")).toContain("No site is configured for this host");
  });

  it("answers 404 for everything when no site exists, and still declares a default backend", () => {
    const vcl = renderVcl(input([]));
    expect(sub(vcl, "vcl_recv")).toContain("return (synth(404));");
    expect(vcl).toContain("backend default none;");
    expect(vcl).not.toMatch(/backend b_/);
  });

  it("answers a site without backends with 503 and declares neither backend, probe nor director for it", () => {
    const vcl = renderVcl(input([site("idle", { backends: [] }), site("acme")]));
    expect(sub(vcl, "vcl_recv")).toMatch(/req\.http\.host == "idle\.example\.org"\) \{\n[^}]*\}\n\s+# No running task: nothing to route to\.\n\s+return \(synth\(503\)\);/);
    expect(vcl).not.toContain("b_idle");
    expect(vcl).not.toContain("p_idle");
    expect(vcl).not.toContain("d_idle");
  });

  it("renders the 503 pages without internals", () => {
    const vcl = renderVcl(input([site("acme")]));
    const pages = [...vcl.matchAll(/synthetic\(\{"([\s\S]*?)"\}\)/g)].map((m) => m[1]).join("\n");
    expect(pages).toContain("temporarily unavailable");
    expect(sub(vcl, "vcl_backend_error")).toContain("set beresp.status = 503;");
    expect(pages).not.toMatch(/Guru|XID|req\.|bereq\.xid|b_acme|10\.0\.1\.5/);
  });

  it("probes every backend on the site's health path, starting healthy (.initial = .threshold)", () => {
    const vcl = renderVcl(input([site("acme", { healthcheck: { path: "/health?x=1", interval: 7, timeout: 3 } })]));
    const probe = /probe p_acme \{([^}]*)\}/.exec(vcl)?.[1] ?? "";
    expect(probe).toContain('.url = "/health?x=1";');
    expect(probe).toContain(".interval = 7s;");
    expect(probe).toContain(".timeout = 3s;");
    const threshold = /\.threshold = (\d+);/.exec(probe)?.[1];
    expect(threshold).toBeDefined();
    expect(probe).toContain(`.initial = ${threshold};`);
    expect(vcl).toMatch(/backend b_acme_0 \{[^}]*\.probe = p_acme;/);
    // Drupal's trusted_host_patterns: the probe must carry a real domain, not the task IP.
    expect(vcl).toMatch(/backend b_acme_0 \{[^}]*\.host_header = "acme\.example\.org";/);
  });

  it("names the service in vip mode and only task IPs in dnsrr mode", () => {
    const vip = renderVcl(input([site("acme", { backends: [{ host: "acme_web", port: 80 }] })], { mode: "vip" }));
    expect(vip).toMatch(/backend b_acme_0 \{\n\s+\.host = "acme_web";/);
    expect(vip).not.toContain("b_acme_1");
    const dnsrr = renderVcl(input([site("acme", { backends: [{ host: "10.0.1.9", port: 80 }, { host: "10.0.1.10", port: 80 }] })]));
    const hosts = [...dnsrr.matchAll(/\.host = "([^"]+)";/g)].map((m) => m[1]);
    expect(hosts).toEqual(["10.0.1.9", "10.0.1.10"]);
  });

  it("applies the Drupal/CiviCRM defaults: pass sessions, POST and admin paths, cache static assets without cookies", () => {
    const recv = sub(renderVcl(input([site("acme")])), "vcl_recv");
    expect(recv).toContain('if (req.method != "GET" && req.method != "HEAD") {\n    return (pass);');
    expect(recv).toMatch(/S\?SESS/);
    for (const p of ["admin", "user", "civicrm", "batch", "cron\\.php", "update\\.php", "install\\.php"]) expect(recv).toContain(p);
    expect(recv).toMatch(/\\\.\(css\|js\|[^"]*png[^"]*woff2\?/);
    expect(recv).toContain('set req.http.X-Forwarded-Proto = "http";');
    expect(recv).toContain("if (!req.http.X-Forwarded-Proto)");
  });

  it("renders per-site routing overrides", () => {
    const vcl = renderVcl(
      input([
        site("shop", { routing: { passPaths: ["/cart/", "/checkout"], ttl: 300, staticTtl: 600, grace: 30, firstByteTimeout: 900 } }),
        site("live", { routing: { cache: false } }),
      ]),
    );
    const recv = sub(vcl, "vcl_recv");
    expect(recv).toContain('if (req.http.X-Simulium-Site == "shop" && req.url ~ "^(/cart|/checkout)([/?]|$)") {\n    return (pass);');
    expect(recv).toContain('if (req.http.X-Simulium-Site == "live") {\n    return (pass);');
    const beresp = sub(vcl, "vcl_backend_response");
    expect(beresp).toContain('if (bereq.http.X-Simulium-Site == "shop") {');
    expect(beresp).toContain("set beresp.grace = 30s;");
    expect(beresp).toContain("set beresp.ttl = 600s;");
    expect(beresp).toContain("set beresp.ttl = 300s;");
    expect(vcl).toMatch(/backend b_shop_0 \{[^}]*\.first_byte_timeout = 900s;/);
    expect(vcl).toMatch(/backend b_live_0 \{[^}]*\.first_byte_timeout = 120s;/);
  });

  it("places operator snippets at their documented points", () => {
    const vcl = renderVcl(
      input([site("acme")], {
        snippets: { recv: 'if (req.url == "/x") {\n  return (pass);\n}', backendResponse: "set beresp.http.X-B = \"1\";", deliver: 'set resp.http.X-Frame-Options = "SAMEORIGIN";' },
      }),
    );
    const recv = sub(vcl, "vcl_recv");
    const at = recv.indexOf('if (req.url == "/x")');
    expect(at).toBeGreaterThan(recv.indexOf("return (synth(404));"));
    expect(at).toBeGreaterThan(recv.indexOf('if (req.method == "BAN")'));
    expect(at).toBeLessThan(recv.indexOf('if (req.method != "GET"'));
    const beresp = sub(vcl, "vcl_backend_response");
    expect(beresp.indexOf('set beresp.http.X-B = "1";')).toBeGreaterThan(beresp.indexOf("set beresp.ttl = 86400s;"));
    const deliver = sub(vcl, "vcl_deliver");
    expect(deliver.indexOf("X-Frame-Options")).toBeGreaterThan(deliver.indexOf("X-Cache"));
  });
});
