import { admitted, changedSites, expired, previewDomain, PreviewRecord, previewSites } from "../../../controller/manifests/previews";
import { loadFiles } from "../../../controller/manifests/load";
import { site } from "../../fixtures/core/builders";

const config = { domain: "{site}-pr{number}.preview.example.org", max: 3, ttlHours: 24 };
const HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

describe("preview environments of pull requests", () => {
  it("a preview is the environment pr<number> of the site: its own objects, the pattern's domain, Delete by construction", () => {
    const prod = site({ name: "acme", domains: ["acme.org"], deletionPolicy: "Retain" });
    const { sites, problems } = previewSites([prod], { number: 42, headSha: HEAD }, config, [prod]);
    expect(problems).toEqual([]);
    expect(sites).toHaveLength(1);
    const p = sites[0]!;
    expect(p.name).toBe("acme--pr42");
    expect(p.domains).toEqual(["acme-pr42.preview.example.org"]);
    expect(p.deletionPolicy).toBe("Delete");
    expect(p.cron).toEqual([]);
    expect(p.environment).toEqual({ of: "acme", name: "pr42", index: -1, preview: { number: 42, headSha: HEAD } });
    expect(p.secrets.some((s) => "sealed" in s)).toBe(false);
    // The production site itself is untouched, and keeps its own policy.
    expect(prod.deletionPolicy).toBe("Retain");
  });

  it("never takes a domain a deployed site or environment serves, nor an existing site's name", () => {
    const prod = site({ name: "acme", domains: ["acme.org"] });
    const squatter = site({ name: "squat", domains: ["acme-pr7.preview.example.org"] });
    expect(previewSites([prod], { number: 7, headSha: HEAD }, config, [prod, squatter])).toEqual({
      sites: [],
      problems: ["acme: the preview domain acme-pr7.preview.example.org is already served by squat: previews never take a deployed site's domain"],
    });
    const named = site({ name: "acme--pr7", domains: ["x.org"] });
    expect(previewSites([prod], { number: 7, headSha: HEAD }, config, [prod, named]).problems).toEqual(["acme: acme--pr7 is already a site of the repository"]);
  });

  it("refuses a domain pattern that yields no host name, and a name over the limit", () => {
    expect(previewDomain("{site}_{number}.example.org", "acme", 1)).toMatchObject({ ok: false });
    expect(previewDomain("{site}-pr{number}.example.org", "a".repeat(40), 123456789)).toMatchObject({ ok: true });
    const long = site({ name: "a".repeat(36), domains: ["long.org"] });
    const r = previewSites([long], { number: 123456, headSha: HEAD }, { ...config, domain: "pr{number}.{site}.example.org" }, [long]);
    expect(r.sites).toEqual([]);
    expect(r.problems[0]).toMatch(/over the limit of 40/);
  });

  it("previews only the sites whose manifest the pull request changes (not simulium.yaml alone, not environments)", () => {
    const file = (name: string, image: string, env = "") =>
      `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: ${name}}\nspec:\n  domains: [${name}.org]\n  web: {image: "${image}"}\n${env}`;
    const base = new Map([
      ["sites/acme.yaml", file("acme", "drupal:10.2")],
      ["sites/zeta.yaml", file("zeta", "drupal:10.2")],
    ]);
    const head = new Map([
      ["sites/acme.yaml", file("acme", "drupal:10.3", "  environments: [{name: staging, domains: [staging.acme.org]}]\n")],
      ["sites/zeta.yaml", file("zeta", "drupal:10.2")],
      ["sites/new.yaml", file("new", "drupal:10.3")],
    ]);
    const loaded = loadFiles([...head].map(([path, text]) => ({ path, text })));
    expect(loaded.errors).toEqual([]);
    expect(changedSites(base, head, loaded.sites).map((s) => s.name)).toEqual(["acme", "new"]);
  });

  it("simulium.yaml spec.previews: a domain pattern must name {site} and {number}; max and ttlHours have defaults", () => {
    const cluster = (previews: string) => loadFiles([{ path: "simulium.yaml", text: `apiVersion: simulium/v1\nkind: Cluster\nspec:\n  previews: ${previews}\n` }]);
    expect(cluster("{domain: '{site}-pr{number}.preview.example.org'}").cluster?.previews).toEqual({ domain: "{site}-pr{number}.preview.example.org", max: 5, ttlHours: 168 });
    const bad = cluster("{domain: 'pr{number}.preview.example.org'}");
    expect(bad.cluster).toBeUndefined();
    expect(bad.errors.map((e) => [e.file, e.line, e.path])).toEqual([["simulium.yaml", 4, "spec.previews.domain"]]);
  });

  const record = (number: number, openedAt: string, sites: string[], updatedAt = openedAt): PreviewRecord => ({ provider: "github", number, headSha: HEAD, headRef: `b${number}`, sites, openedAt, updatedAt });

  it("admits pull requests oldest first up to the limit of previews (a pull request counts its sites); the rest wait", () => {
    const r = admitted([record(3, "2026-11-30T10:02:00Z", ["c"]), record(1, "2026-11-30T10:00:00Z", ["a", "b"]), record(2, "2026-11-30T10:01:00Z", ["x", "y"])], 3);
    expect(r.admitted.map((x) => x.number)).toEqual([1, 3]);
    expect(r.waiting.map((x) => x.number)).toEqual([2]);
    expect(admitted([record(1, "2026-11-30T10:00:00Z", ["a"])], 0).admitted).toEqual([]);
  });

  it("expires a pull request without a push for ttlHours", () => {
    const now = new Date("2026-11-30T12:00:00Z");
    const records = [record(1, "2026-11-28T00:00:00Z", ["a"], "2026-11-29T11:59:00Z"), record(2, "2026-11-28T00:00:00Z", ["a"], "2026-11-29T12:01:00Z")];
    expect(expired(records, now, 24).map((r) => r.number)).toEqual([1]);
  });
});
