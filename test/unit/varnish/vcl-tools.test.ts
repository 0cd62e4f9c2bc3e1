import { renderVcl, VclInputError } from "../../../controller/varnish/vcl";
import type { VclTool } from "../../../controller/varnish/vcl";
import { input, site, sub } from "./fixtures";

const pma = (siteName: string, overrides: Partial<VclTool> = {}): VclTool => ({
  site: siteName,
  tool: "phpmyadmin",
  domain: `db.${siteName}.example.org`,
  backends: [{ host: "10.0.1.9", port: 80 }],
  ...overrides,
});

describe("VCL: a site's phpMyAdmin on its own domain", () => {
  const vcl = renderVcl(input([site("acme")], { tools: [pma("acme")] }));

  it("routes the domain to its own director and passes at once: never cached, no snippet or cache rule applies", () => {
    expect(sub(vcl, "vcl_recv")).toContain(`(req.http.host == "db.acme.example.org") {
    if (req.method == "PURGE" || req.method == "BAN") {
      return (synth(405));
    }
    set req.backend_hint = pmad_acme.backend();
    return (pass);
  }`);
    expect(sub(vcl, "vcl_init")).toContain("  new pmad_acme = directors.round_robin();\n  pmad_acme.add_backend(pmab_acme_0);");
  });

  it("declares its backends without a health probe (the tool answers 401 to one)", () => {
    const decl = vcl.slice(vcl.indexOf("backend pmab_acme_0 {"));
    const body = decl.slice(0, decl.indexOf("}\n") + 1);
    expect(body).toContain('.host = "10.0.1.9";');
    expect(body).toContain('.host_header = "db.acme.example.org";');
    expect(body).not.toContain(".probe");
  });

  it("keeps the site's web domain on the website", () => {
    expect(sub(vcl, "vcl_recv")).toContain(`(req.http.host == "acme.example.org") {
    if (req.method == "PURGE" || req.method == "BAN") {
      return (synth(405));
    }
    set req.http.X-Simulium-Site = "acme";
    set req.backend_hint = d_acme.backend();
  }`);
  });

  it("answers 503 while no task runs", () => {
    const none = renderVcl(input([site("acme")], { tools: [pma("acme", { backends: [] })] }));
    expect(sub(none, "vcl_recv")).toContain(`(req.http.host == "db.acme.example.org") {
    if (req.method == "PURGE" || req.method == "BAN") {
      return (synth(405));
    }
    # No running task: nothing to route to.
    return (synth(503));
  }`);
    expect(none).not.toContain("pmad_acme");
  });

  it("keeps the names of sites whose names look alike apart", () => {
    const twins = renderVcl(input([site("a"), site("a-b0")], { tools: [pma("a"), pma("a-b0")] }));
    const declared = [...twins.matchAll(/^backend (\S+) \{/gm)].map((m) => m[1]);
    expect(new Set(declared).size).toBe(declared.length);
    expect(declared).toEqual(["b_a_0", "b_a_b0_0", "pmab_a_0", "pmab_a_b0_0"]);
  });

  it("renders the same VCL whatever the order of the tools", () => {
    const tools = [pma("acme"), pma("beta")];
    const sites = [site("acme"), site("beta")];
    expect(renderVcl(input(sites, { tools }))).toBe(renderVcl(input(sites, { tools: [...tools].reverse() })));
  });

  it.each([
    ["a domain a site serves", pma("acme", { domain: "acme.example.org" }), "tools[0].domain: acme.example.org already belongs to acme"],
    ["an injected domain", pma("acme", { domain: 'x"; return (pipe); #' }), 'tools[0].domain: "x\\"; return (pipe); #" is not a lower-case DNS name'],
    ["a host name in dnsrr mode", pma("acme", { backends: [{ host: "acme_phpmyadmin", port: 80 }] }), "tools[0].backends[0].host"],
    ["a bad site name", pma("Acme"), "tools[0].site"],
  ])("refuses %s", (_what, tool, message) => {
    expect(() => renderVcl(input([site("acme")], { tools: [tool] }))).toThrow(VclInputError);
    expect(() => renderVcl(input([site("acme")], { tools: [tool] }))).toThrow(message);
  });

  it("refuses two tools on one domain", () => {
    const tools = [pma("acme"), pma("beta", { domain: "db.acme.example.org" })];
    expect(() => renderVcl(input([site("acme"), site("beta")], { tools }))).toThrow("tools[1].domain: db.acme.example.org already belongs to the phpmyadmin of site acme");
  });
});
