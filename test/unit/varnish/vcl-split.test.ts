import { renderVcl, VclInputError } from "../../../controller/varnish/vcl";
import type { VclInput, VclSite, VclTool } from "../../../controller/varnish/vcl";
import { isOurLabel, renderSplitVcl, renderTopVcl, siteLabel, splitHash } from "../../../controller/varnish/vcl-split";

const hc = { path: "/user/login", interval: 10, timeout: 5 };
const site = (name: string, over: Partial<VclSite> = {}): VclSite => ({
  name,
  domains: [`${name}.example.org`, `www.${name}.example.org`],
  backends: [{ host: "10.0.1.5", port: 80 }],
  healthcheck: hc,
  purgers: ["10.0.1.5"],
  ...over,
});
const tool = (s: string): VclTool => ({ site: s, tool: "phpmyadmin", domain: `pma.${s}.example.org`, backends: [{ host: "10.0.3.2", port: 80 }] });
const snippets = { recv: 'if (req.url == "/healthz") {\n  return (synth(200));\n}', deliver: 'set resp.http.X-Frame-Options = "DENY";' };
const input = (sites: VclSite[], over: Partial<VclInput> = {}): VclInput => ({ sites, mode: "dnsrr", snippets, ...over });

describe("renderSplitVcl: one VCL per site, a top-level VCL per set of domains", () => {
  const sites = [site("beta"), site("al-pha"), site("gamma", { backends: [] })];

  it("gives each site and each tool a VCL of its own under its label, in label order", () => {
    const split = renderSplitVcl(input(sites, { tools: [tool("beta")] }));
    expect(split.units.map((u) => [u.label, u.site])).toEqual([
      ["l_al_pha", "al-pha"],
      ["l_beta", "beta"],
      ["l_gamma", "gamma"],
      ["t_beta", "beta"],
    ]);
    expect(split.units.every((u) => isOurLabel(u.label))).toBe(true);
  });

  it("a site's VCL is renderVcl of that site alone: every behaviour of the whole configuration, snippets included", () => {
    const split = renderSplitVcl(input(sites));
    const beta = split.units.find((u) => u.label === "l_beta");
    expect(beta?.vcl).toBe(renderVcl(input([site("beta")])));
    expect(beta?.vcl).toContain("acl purgers_beta");
    expect(beta?.vcl).toContain("operator snippet: recv");
    expect(beta?.vcl).not.toContain("al-pha");
    // A site without tasks answers 503 in its own VCL: the top-level VCL does not depend on backends.
    expect(split.units.find((u) => u.label === "l_gamma")?.vcl).toContain("return (synth(503));");
  });

  it("a task move changes that site's VCL only, and never the top-level VCL", () => {
    const before = renderSplitVcl(input(sites));
    const after = renderSplitVcl(input([site("beta", { backends: [{ host: "10.0.1.9", port: 80 }], purgers: ["10.0.1.9"] }), site("al-pha"), site("gamma", { backends: [] })]));
    const changed = after.units.filter((u, i) => u.vcl !== before.units[i]?.vcl).map((u) => u.label);
    expect(changed).toEqual(["l_beta"]);
    expect(renderTopVcl(after.routes)).toBe(renderTopVcl(before.routes));
    expect(splitHash(after)).not.toBe(splitHash(before));
  });

  it("a new domain changes the top-level VCL and that site's VCL (its probe Host and routing chain), no other", () => {
    const before = renderSplitVcl(input(sites));
    const after = renderSplitVcl(input([site("beta", { domains: ["beta.example.org", "www.beta.example.org", "beta.test"] }), site("al-pha"), site("gamma", { backends: [] })]));
    expect(renderTopVcl(after.routes)).not.toBe(renderTopVcl(before.routes));
    expect(renderTopVcl(after.routes)).toContain(`req.http.host == "beta.test"`);
    expect(after.units.filter((u, i) => u.vcl !== before.units[i]?.vcl).map((u) => u.label)).toEqual(["l_beta"]);
  });

  it("is deterministic: the order of sites, tools and domains in the input does not matter", () => {
    const a = renderSplitVcl(input(sites, { tools: [tool("beta"), tool("gamma")] }));
    const b = renderSplitVcl(input([...sites].reverse(), { tools: [tool("gamma"), tool("beta")] }));
    expect(b).toEqual(a);
    expect(splitHash(b)).toBe(splitHash(a));
  });

  it("still refuses a domain claimed by two sites, naming the field", () => {
    expect(() => renderSplitVcl(input([site("a"), site("b", { domains: ["a.example.org"] })]))).toThrow(VclInputError);
    expect(() => renderSplitVcl(input([site("a"), site("b", { domains: ["a.example.org"] })]))).toThrow("sites[b].domains");
  });
});

describe("renderTopVcl", () => {
  const routes = renderSplitVcl(input([site("beta"), site("al-pha")], { tools: [tool("beta")] })).routes;

  it("normalises the Host, hands each domain to its site's label and answers 404 for any other host", () => {
    const top = renderTopVcl(routes);
    expect(top).toContain(`set req.http.host = regsub(std.tolower(req.http.host), ":[0-9]+$", "");`);
    expect(top).toMatch(/req\.http\.host == "beta\.example\.org" \|\|\s+req\.http\.host == "www\.beta\.example\.org"\) \{\n {4}return \(vcl\(l_beta\)\);/);
    expect(top).toContain(`req.http.host == "pma.beta.example.org") {\n    return (vcl(t_beta));`);
    expect(top).toContain("} else {\n    return (synth(404));");
    expect(top).toContain("No site is configured for this host name.");
    // Nothing of a site: no backend, probe, ACL or snippet.
    expect(top).not.toMatch(/^(probe|acl) /m);
    expect(top).not.toContain("operator snippet");
  });

  it("answers 503 for a site whose VCL never compiled (its label does not exist to be named)", () => {
    const top = renderTopVcl(routes, new Set([siteLabel("al-pha")]));
    expect(top).not.toContain("vcl(l_al_pha)");
    expect(top).toMatch(/req\.http\.host == "www\.al-pha\.example\.org"\) \{\n.*\n {4}return \(synth\(503\)\);/);
    expect(top).toContain("return (vcl(l_beta));");
  });

  it("with no site, answers 404 to everything", () => {
    const top = renderTopVcl([]);
    expect(top).toContain("# No site is configured.\n    return (synth(404));");
    expect(top).not.toContain("vcl(");
  });
});
