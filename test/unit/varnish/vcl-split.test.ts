import { renderVcl, VclInputError } from "../../../controller/varnish/vcl";
import type { VclInput, VclSite, VclTool } from "../../../controller/varnish/vcl";
import { GROUP_SIZE, groupCount, heldLabel, inputOf, isOurLabel, renderSplitVcl, renderTopVcl, splitHash } from "../../../controller/varnish/vcl-split";

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

const many = (n: number): VclSite[] => Array.from({ length: n }, (_, i) => site(`s${i}`));

describe("renderSplitVcl: sites sharded into groups of a bounded size, a top-level VCL per set of domains", () => {
  const sites = [site("beta"), site("al-pha"), site("gamma", { backends: [] })];

  it("a few sites share one group VCL, under an our-label; its tools go with their site", () => {
    const split = renderSplitVcl(input(sites, { tools: [tool("beta")] }));
    expect(split.units.map((u) => [u.label, u.sites])).toEqual([["l_g1_0", ["al-pha", "beta", "gamma"]]]);
    expect(split.units.every((u) => isOurLabel(u.label))).toBe(true);
    expect(split.units[0]?.vcl).toBe(renderVcl(split.units[0]?.input ?? input([])));
    expect(split.units[0]?.vcl).toContain("pma.beta.example.org");
  });

  it("the group count grows by doubling, so groups stay at about GROUP_SIZE sites", () => {
    expect([0, 1, 16, 17, 32, 33, 100, 1000].map(groupCount)).toEqual([1, 1, 1, 2, 2, 4, 8, 64]);
    const split = renderSplitVcl(input(many(1000)));
    expect(split.units.length).toBeLessThanOrEqual(64);
    expect(Math.max(...split.units.map((u) => u.sites.length))).toBeLessThanOrEqual(2 * GROUP_SIZE);
    expect(split.units.reduce((n, u) => n + u.sites.length, 0)).toBe(1000);
  });

  it("a group's VCL is renderVcl of its sites alone: every behaviour of the whole configuration, snippets included", () => {
    const split = renderSplitVcl(input([...many(40), ...sites]));
    const unit = split.units.find((u) => u.sites.includes("beta"));
    expect(unit?.vcl).toBe(renderVcl(input(unit?.sites.map((n) => [...many(40), ...sites].find((s) => s.name === n) ?? site(n)).sort((x, y) => (x.name < y.name ? -1 : 1)) ?? [])));
    expect(unit?.vcl).toContain("acl purgers_beta");
    expect(unit?.vcl).toContain("operator snippet: recv");
    for (const other of split.units.filter((u) => u !== unit)) expect(other.vcl).not.toContain("purgers_beta");
  });

  it("a task move changes its group's VCL only, and never the top-level VCL; adding a site changes one group", () => {
    const base = many(100);
    const before = renderSplitVcl(input(base));
    const moved = base.map((s) => (s.name === "s42" ? { ...s, backends: [{ host: "10.0.1.9", port: 80 }] } : s));
    const after = renderSplitVcl(input(moved));
    const changed = (x: typeof before) => x.units.filter((u, i) => u.vcl !== before.units[i]?.vcl).map((u) => u.label);
    expect(changed(after)).toEqual([before.units.find((u) => u.sites.includes("s42"))?.label]);
    expect(renderTopVcl(after.routes)).toBe(renderTopVcl(before.routes));
    expect(splitHash(after)).not.toBe(splitHash(before));
    const added = renderSplitVcl(input([...base, site("zeta")]));
    expect(added.units.map((u) => u.label)).toEqual(before.units.map((u) => u.label));
    expect(changed(added)).toHaveLength(1);
  });

  it("a new domain changes the top-level VCL and that site's group VCL, no other", () => {
    const before = renderSplitVcl(input([...many(60), ...sites]));
    const after = renderSplitVcl(input([...many(60), site("beta", { domains: ["beta.example.org", "www.beta.example.org", "beta.test"] }), site("al-pha"), site("gamma", { backends: [] })]));
    expect(renderTopVcl(after.routes)).not.toBe(renderTopVcl(before.routes));
    expect(renderTopVcl(after.routes)).toContain(`req.http.host == "beta.test"`);
    expect(after.units.filter((u, i) => u.vcl !== before.units[i]?.vcl).map((u) => u.sites.includes("beta"))).toEqual([true]);
  });

  it("is deterministic: the order of sites, tools and domains in the input does not matter", () => {
    const a = renderSplitVcl(input([...many(50), ...sites], { tools: [tool("beta"), tool("gamma")] }));
    const b = renderSplitVcl(input([...sites, ...many(50)].reverse(), { tools: [tool("gamma"), tool("beta")] }));
    expect(b).toEqual(a);
    expect(splitHash(b)).toBe(splitHash(a));
  });

  it("inputOf leaves out a site and its tool", () => {
    const part = inputOf(input(sites, { tools: [tool("beta")] }), new Set(["gamma"]));
    expect(part.sites.map((s) => s.name)).toEqual(["gamma"]);
    expect(part.tools).toBeUndefined();
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
    // One group: every domain (the tool's too) in one branch handing to its label.
    for (const d of ["beta.example.org", "www.beta.example.org", "pma.beta.example.org", "al-pha.example.org"]) expect(top).toContain(`req.http.host == "${d}"`);
    expect(top).toContain("{\n    return (vcl(l_g1_0));");
    expect(top.match(/return \(vcl\(/g)).toHaveLength(1);
    expect(top).toContain("} else {\n    return (synth(404));");
    expect(top).toContain("No site is configured for this host name.");
    // Nothing of a site: no backend, probe, ACL or snippet.
    expect(top).not.toMatch(/^(probe|acl) /m);
    expect(top).not.toContain("operator snippet");
  });

  it("answers 503 for a site whose VCL never compiled, and hands a held site to its own label", () => {
    const top = renderTopVcl(routes, new Map([["al-pha", null]]));
    expect(top).toMatch(/req\.http\.host == "www\.al-pha\.example\.org"\) \{\n.*\n {4}return \(synth\(503\)\);/);
    expect(top).toContain("return (vcl(l_g1_0));");
    const heldTop = renderTopVcl(routes, new Map([["beta", heldLabel("beta")]]));
    expect(heldTop).toMatch(/req\.http\.host == "www\.beta\.example\.org"\) \{\n {4}return \(vcl\(l_h_beta\)\);/);
    expect(heldTop).toMatch(/req\.http\.host == "www\.al-pha\.example\.org"\) \{\n {4}return \(vcl\(l_g1_0\)\);/);
  });

  it("with no site, answers 404 to everything", () => {
    const top = renderTopVcl([]);
    expect(top).toContain("# No site is configured.\n    return (synth(404));");
    expect(top).not.toContain("vcl(");
  });
});
