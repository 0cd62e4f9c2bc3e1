import type { ApplyResult } from "../../../controller/apply/apply";
import { RestoreRefusedError } from "../../../controller/backup/restore";
import { BackupJobError } from "../../../controller/backup/run";
import { EXIT } from "../../../controller/backup/scripts";
import { environmentsToSeed, nothingToLoad } from "../../../controller/backup/seed";
import { renderDesired } from "../../../controller/desired/render";
import type { DesiredState } from "../../../controller/desired/types";
import { EMPTY_LIVE } from "../../../controller/live/types";
import { loadFiles } from "../../../controller/manifests/load";
import type { LoadResult } from "../../../controller/manifests/types";
import { makePlan } from "../../../controller/plan/plan";
import type { Plan } from "../../../controller/plan/types";
import { cluster } from "../../fixtures/core/builders";

/** acme with a database and the environments given (YAML lines under spec.environments). */
function load(environments: readonly string[], database = true): LoadResult {
  const text = [
    "apiVersion: simulium/v1",
    "kind: Site",
    "metadata: {name: acme}",
    "spec:",
    "  domains: [acme.org]",
    "  web: {image: drupal:10}",
    ...(database ? ["  database: {image: mariadb:11.4}"] : []),
    "  volumes: [{name: files, mountPath: /var/www/html/files}]",
    "  environments:",
    ...environments.map((e) => `    - ${e}`),
    "",
  ].join("\n");
  return loadFiles([{ path: "sites/acme.yaml", text }]);
}

function converged(r: LoadResult): ApplyResult {
  return { ok: true, sites: r.sites.map((s) => ({ site: s.name, state: "converged", applied: 1 })) };
}

/** The plan of a swarm with nothing of the instance yet, and the desired state it came from. */
function fresh(r: LoadResult): { plan: Plan; desired: DesiredState } {
  const desired = renderDesired({ sites: r.sites, cluster: cluster() });
  return { plan: makePlan(desired, EMPTY_LIVE), desired };
}

const without = (plan: Plan, name: string): Plan => ({ ...plan, actions: plan.actions.filter((a) => a.name !== name) });
const decided = (r: LoadResult, plan: Plan, desired: DesiredState, applied = converged(r)) => environmentsToSeed(plan, r.sites, desired, applied).map((d) => ({ site: d.site.name, from: d.from, sanitise: d.sanitise }));

describe("which environments an apply seeds (spec.environments[].seed)", () => {
  const r = load([
    '{name: staging, domains: [staging.acme.org], seed: {sanitise: "drush sql-sanitize -y"}}',
    "{name: dev, domains: [dev.acme.org], seed: {from: staging}}",
    "{name: plain, domains: [plain.acme.org]}",
  ]);
  const { plan, desired } = fresh(r);

  it("an environment whose database service and volume this plan creates, from production by default, with its sanitisation; one without seed is left alone", () => {
    expect(r.errors).toEqual([]);
    expect(decided(r, plan, desired)).toEqual([
      { site: "acme--staging", from: "acme", sanitise: "drush sql-sanitize -y" },
      { site: "acme--dev", from: "acme--staging", sanitise: undefined },
    ]);
  });

  it("never production, even when its database is created in the same plan", () => {
    expect(decided(r, plan, desired).map((d) => d.site)).not.toContain("acme");
  });

  it("a second apply (nothing of the environment created) seeds nothing", () => {
    const second = { ...plan, actions: plan.actions.filter((a) => a.op !== "create") };
    expect(decided(r, second, desired)).toEqual([]);
  });

  it("a database volume that already exists (left by a removed environment with Retain) is never overwritten", () => {
    expect(decided(r, without(plan, "acme--staging_db-data"), desired).map((d) => d.site)).toEqual(["acme--dev"]);
  });

  it("a database service that exists (its volume lost or made by the node) is not seeded", () => {
    expect(decided(r, without(plan, "acme--staging_db"), desired).map((d) => d.site)).toEqual(["acme--dev"]);
  });

  it("a volume the node's engine makes (never planned): the service's create decides", () => {
    const onNode: DesiredState = { ...desired, resources: desired.resources.map((x) => (x.kind === "volume" && x.name === "acme--staging_db-data" ? { ...x, onNode: "node-1" } : x)) };
    expect(decided(r, without(plan, "acme--staging_db-data"), onNode).map((d) => d.site)).toEqual(["acme--staging", "acme--dev"]);
  });

  it("a node-made volume with the database password kept (an environment removed with Retain, added back): never seeded", () => {
    const onNode: DesiredState = { ...desired, resources: desired.resources.map((x) => (x.kind === "volume" && x.name === "acme--staging_db-data" ? { ...x, onNode: "node-1" } : x)) };
    const kept = desired.resources.find((x) => x.kind === "secret" && x.site === "acme--staging" && x.logicalName === "db-password");
    expect(kept).toBeDefined();
    const retained = without(without(plan, "acme--staging_db-data"), kept?.name ?? "");
    expect(decided(r, retained, onNode).map((d) => d.site)).toEqual(["acme--dev"]);
  });

  it("an environment whose apply failed is not seeded", () => {
    const applied: ApplyResult = { ok: false, sites: converged(r).sites.map((s) => (s.site === "acme--staging" ? { ...s, state: "failed", error: "boom" } : s)) };
    expect(decided(r, plan, desired, applied).map((d) => d.site)).toEqual(["acme--dev"]);
  });

  it("a site without a database: nothing to seed", () => {
    const nodb = load(["{name: staging, domains: [staging.acme.org], seed: {}}"], false);
    const f = fresh(nodb);
    expect(decided(nodb, f.plan, f.desired)).toEqual([]);
  });
});

describe("spec.environments[].seed in the manifest", () => {
  it("from itself, or from an environment the site does not have, refuses that environment, naming the field", () => {
    const r = load(["{name: staging, domains: [staging.acme.org], seed: {from: staging}}", "{name: dev, domains: [dev.acme.org], seed: {from: qa}}"]);
    const messages = r.errors.map((e) => `${e.file}:${e.line} ${e.path}: ${e.message}`);
    expect(messages).toEqual([
      expect.stringMatching(/^sites\/acme.yaml:10 spec\.environments\[0\]\.seed\.from: an environment cannot be seeded from itself/),
      expect.stringMatching(/^sites\/acme.yaml:11 spec\.environments\[1\]\.seed\.from: "qa" is not an environment of this site \(prod, staging, dev\)/),
    ]);
    expect(r.sites.map((s) => s.name)).toEqual(["acme"]);
  });

  it("is carried on the environment only: previews and production have none", () => {
    const r = load(["{name: staging, domains: [staging.acme.org], seed: {}}"]);
    expect(r.sites.find((s) => s.name === "acme--staging")?.environment?.seed).toEqual({ from: "prod" });
    expect(r.sites.find((s) => s.name === "acme")?.environment).toBeUndefined();
  });
});

describe("a seed with nothing to load leaves the environment empty; anything else is a failure", () => {
  it("no backup run yet, or a source never backed up (no repository), is nothing to load", () => {
    expect(nothingToLoad(new RestoreRefusedError("site acme--staging has no backup: see simulium backups acme--staging"))).toBe(true);
    const missing = "Fatal: unable to open config file: Stat: stat /backups/acme/config: no such file or directory\nIs there a repository at the following location?\n/backups/acme";
    expect(nothingToLoad(new BackupJobError("list", EXIT.repository, `listing failed (exit ${EXIT.repository}):\n${missing}`))).toBe(true);
  });

  it("a repository that cannot be opened otherwise (wrong password), a refused run, a failed load are failures", () => {
    expect(nothingToLoad(new BackupJobError("list", EXIT.repository, "Fatal: wrong password or no key found"))).toBe(false);
    expect(nothingToLoad(new RestoreRefusedError("backup run r1 of acme has no database snapshot: it cannot restore the database"))).toBe(false);
    expect(nothingToLoad(new BackupJobError("restore", 1, "Is there a repository at the following location?"))).toBe(false);
    expect(nothingToLoad(new Error("boom"))).toBe(false);
  });
});
