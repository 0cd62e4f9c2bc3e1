import { renderSite } from "../../../controller/desired/render";
import type { ServiceSpec } from "../../../controller/desired/types";
import { loadFiles } from "../../../controller/manifests/load";
import { capPreviewSite, previewSites } from "../../../controller/manifests/previews";
import type { LoadResult, ResolvedCluster } from "../../../controller/manifests/types";
import { withPreviewSites } from "../../../controller/reconcile/previews-state";
import { cluster as clusterOf, site } from "../../fixtures/core/builders";

const HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const base = { domain: "{site}-pr{number}.preview.example.org", max: 3, ttlHours: 24 };
const clusterYaml = (previews: string) => loadFiles([{ path: "simulium.yaml", text: `apiVersion: simulium/v1\nkind: Cluster\nspec:\n  previews:\n    domain: "{site}-pr{number}.preview.example.org"\n${previews}` }]);

describe("resource caps of previews (simulium.yaml spec.previews.resources, replicas)", () => {
  it("are read from simulium.yaml, and a bad value is an error at its line", () => {
    const ok = clusterYaml("    resources: {memory: 512M, cpus: 0.5}\n    replicas: 1\n");
    expect(ok.errors).toEqual([]);
    expect(ok.cluster?.previews).toEqual({ ...base, max: 5, ttlHours: 168, resources: { memoryBytes: 512 * MiB, nanoCpus: 500_000_000 }, replicas: 1 });
    expect(clusterYaml("").cluster?.previews).toEqual({ ...base, max: 5, ttlHours: 168 });
    const bad = clusterYaml("    resources: {memory: 512MB, cpus: 0}\n    replicas: 0\n");
    expect(bad.cluster).toBeUndefined();
    expect(bad.errors.map((e) => [e.file, e.line, e.path]).sort()).toEqual([
      ["simulium.yaml", 6, "spec.previews.resources.cpus"],
      ["simulium.yaml", 6, "spec.previews.resources.memory"],
      ["simulium.yaml", 7, "spec.previews.replicas"],
    ]);
    expect(clusterYaml("    resources: {disk: 1G}\n").errors.map((e) => e.path)).toEqual(["spec.previews.resources.disk"]);
  });

  it("each limit is the lower of the service's own and the cap; a service without one gets the cap", () => {
    const prod = site({
      web: { replicas: 4, resources: { memoryBytes: 2 * GiB } },
      database: { image: "mariadb:10.11", name: "drupal", user: "drupal", env: {}, resources: { memoryBytes: 256 * MiB, nanoCpus: 4_000_000_000 } },
    });
    const capped = capPreviewSite(prod, { resources: { memoryBytes: GiB, nanoCpus: 1_000_000_000 }, replicas: 1 });
    expect(capped.web.resources).toEqual({ memoryBytes: GiB, nanoCpus: 1_000_000_000 });
    expect(capped.web.replicas).toBe(1);
    expect(capped.database?.resources).toEqual({ memoryBytes: 256 * MiB, nanoCpus: 1_000_000_000 });
    // Below the replica cap: the site's own count.
    expect(capPreviewSite(site({ web: { replicas: 1 } }), { replicas: 3 }).web.replicas).toBe(1);
    // No caps: the preview is the site as the head says.
    expect(capPreviewSite(prod, {})).toEqual(prod);
    // The production site itself is never changed.
    expect(prod.web.resources).toEqual({ memoryBytes: 2 * GiB });
  });

  it("are rendered into the preview's services on every reconcile, never into production's", () => {
    const prod = site({ name: "acme", domains: ["acme.org"], web: { replicas: 3, resources: {} } });
    const recorded = previewSites([prod], { number: 4, headSha: HEAD }, base, [prod]).sites;
    const load: LoadResult = { sites: [prod], invalidSites: [], errors: [] };
    const record = { provider: "github", number: 4, headSha: HEAD, headRef: "b", sites: ["acme--pr4"], openedAt: "2026-11-30T10:00:00Z", updatedAt: "2026-11-30T10:00:00Z" };
    const services = (cfg: NonNullable<ResolvedCluster["previews"]>) => {
      const sites = withPreviewSites(load, { records: [record], sites: recorded }, cfg, new Date("2026-11-30T11:00:00Z")).sites;
      const c = clusterOf({ previews: cfg });
      return new Map(sites.flatMap((s) => renderSite(s, c)).filter((r): r is ServiceSpec => r.kind === "service").map((s) => [s.name, s]));
    };
    const first = services({ ...base, resources: { memoryBytes: 512 * MiB, nanoCpus: 500_000_000 }, replicas: 1 });
    expect(first.get("acme--pr4_web")).toMatchObject({ shape: { replicas: 1, memoryBytes: 512 * MiB, nanoCpus: 500_000_000 } });
    expect(first.get("acme_web")).toMatchObject({ shape: { replicas: 3, memoryBytes: null, nanoCpus: null } });
    // A raised cap reaches the preview already recorded (the record keeps the head's values).
    const raised = services({ ...base, resources: { memoryBytes: GiB }, replicas: 2 });
    expect(raised.get("acme--pr4_web")).toMatchObject({ shape: { replicas: 2, memoryBytes: GiB, nanoCpus: null } });
  });
});
