import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectDocker } from "../../controller/engine/docker";
import { acquireLease, LeaseHeldError } from "../../controller/engine/lease";
import { readLive } from "../../controller/live/read";
import { planRepo } from "../../controller/features";
import { StateMissingError } from "../../controller/state/errors";
import { cli } from "../support/cli";
import { startTestDaemon } from "../support/daemon";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * What a manifest change, a lost state directory or a second controller must never cost a site:
 * its data. Sequences on the real engine, each of which failed before the fix it guards.
 */
const docker = connectDocker();
const instance = testInstance("ds");
const stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-data-safety-"));
const site = `${instance}-a`;
const other = `${instance}-b`;
let repo: TestRepo;

const withBackups = `  backup: {image: "simulium/backup:local"}\n`;
const dataOf = async (name: string) => {
  const live = await readLive(docker, instance);
  const of = (list: readonly { site: string | null; name: string }[]) => list.filter((o) => o.site === name).map((o) => o.name).sort();
  return { services: of(live.services), volumes: of(live.volumes), secrets: of(live.secrets), networks: of(live.networks) };
};
const secretsOf = async () => (await readLive(docker, instance)).secrets.map((s) => s.name).sort();

beforeAll(async () => {
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, withBackups),
    [`sites/${site}.yaml`]: siteYaml(site, { deletionPolicy: "Delete", database: true }),
    [`sites/${other}.yaml`]: siteYaml(other),
  });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("two sites"), { stateDir });
  expect(out.result).toMatchObject({ ok: true });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

test("an empty state directory: plan and apply fail closed, write nothing, rotate nothing", async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), "simulium-empty-state-"));
  try {
    const before = await secretsOf();
    await expect(planRepo(docker, repo.dir, { stateDir: empty })).rejects.toThrow(StateMissingError);
    await expect(planRepo(docker, repo.dir, { stateDir: empty })).rejects.toThrow(/restic-password.*every existing backup would become unreadable/s);
    await expect(reconcileRepo(docker, repo.dir, "again", { stateDir: empty })).rejects.toThrow(StateMissingError);
    expect(readdirSync(empty)).toEqual([]);
    expect(await secretsOf()).toEqual(before);

    // The way back: the value read from the swarm's secret (never from a log), checked, written.
    const recovered = await cli("state", "recover", "--repo", repo.dir, "--state-dir", empty);
    expect(recovered).toMatchObject({ code: 0, out: expect.stringMatching(/restic-password: recovered from \S+restic-password-[0-9a-f]{10} into /) });
    expect(readFileSync(path.join(empty, instance, "restic-password"))).toEqual(readFileSync(path.join(stateDir, instance, "restic-password")));
    expect(statSync(path.join(empty, instance, "restic-password")).mode & 0o777).toBe(0o600);
    const after = await planRepo(docker, repo.dir, { stateDir: empty });
    expect(after.plan.actions.filter((a) => a.op !== "retain")).toEqual([]);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("the daemon on an empty state directory (a controller service's fresh volume) reads the secrets back from the swarm and converges, rotating nothing", async () => {
  const empty = mkdtempSync(path.join(os.tmpdir(), "simulium-empty-daemon-state-"));
  const before = await secretsOf();
  const d = await startTestDaemon({ repo: repo.dir, stateDir: empty });
  try {
    await waitFor(async () => (d.status().lastRun ? true : undefined), "the daemon's first reconcile", 120_000, 500);
    expect(d.status().lastRun).toMatchObject({ ok: true, error: null });
    const kept = readdirSync(path.join(stateDir, instance)).filter((f) => f === "varnish-secret" || f === "restic-password");
    expect(kept).toContain("restic-password");
    for (const f of kept) expect(readFileSync(path.join(empty, instance, f))).toEqual(readFileSync(path.join(stateDir, instance, f)));
    expect(await secretsOf()).toEqual(before);
  } finally {
    await d.stop();
    rmSync(empty, { recursive: true, force: true });
  }
});

test("a read-only plan of a new instance writes nothing into the state directory", async () => {
  const fresh = mkdtempSync(path.join(os.tmpdir(), "simulium-fresh-state-"));
  const freshRepo = await createRepo({ "simulium.yaml": clusterYaml(`${instance}x`, withBackups), [`sites/${instance}x-s.yaml`]: siteYaml(`${instance}x-s`) });
  try {
    const ctx = await planRepo(docker, freshRepo.dir, { stateDir: fresh });
    expect(ctx.plan.actions.some((a) => a.kind === "secret" && a.name === `${instance}x_restic-password-new`)).toBe(true);
    expect(readdirSync(fresh)).toEqual([]);
  } finally {
    freshRepo.cleanup();
    rmSync(fresh, { recursive: true, force: true });
  }
});

test("a database password rotation is refused and changes nothing of the site", async () => {
  const before = await dataOf(site);
  repo.write(`sites/${site}.yaml`, siteYaml(site, { deletionPolicy: "Delete", database: true }) + "  secrets:\n    - {name: db-password, generate: {length: 40, rotation: 1}}\n");
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("rotate db-password"), { stateDir });
  expect(out.ctx.plan.errors.map((e) => `${e.file} ${e.path}: ${e.message}`).join("\n")).toMatch(new RegExp(`sites/${site}.yaml spec.secrets\\[db-password\\]: .*would lose its database`));
  expect(out.ctx.plan.actions.filter((a) => a.site === site)).toEqual([]);
  expect(out.ctx.load.invalidSites).toContain(site);
  expect(await dataOf(site)).toEqual(before);
  repo.write(`sites/${site}.yaml`, siteYaml(site, { deletionPolicy: "Delete", database: true }));
  await repo.commit("back");
});

test("the instance lock: an apply while another holds it is refused, naming the holder", async () => {
  const lease = await acquireLease(docker, instance, { what: "another simulium apply" });
  try {
    repo.write(`sites/${other}.yaml`, siteYaml(other, { version: "2" }));
    const commit = await repo.commit("v2");
    const err = await reconcileRepo(docker, repo.dir, commit, { stateDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseHeldError);
    expect(String(err)).toMatch(/another simulium apply on .* \(pid \d+\)/);
  } finally {
    await lease.release();
  }
  const out = await reconcileRepo(docker, repo.dir, "v2", { stateDir, lock: { what: "test" } });
  expect(out.result.ok).toBe(true);
  // A no-op reconcile takes no lock: it works while another holds it.
  const held = await acquireLease(docker, instance, { what: "another simulium apply" });
  try {
    expect((await reconcileRepo(docker, repo.dir, "v2", { stateDir })).mutations).toBe(0);
  } finally {
    await held.release();
  }
});

test("Delete switched to Retain before removal: the data survives the removal pass and every pass after it", async () => {
  repo.write(`sites/${site}.yaml`, siteYaml(site, { deletionPolicy: "Retain", database: true }));
  const switched = await reconcileRepo(docker, repo.dir, await repo.commit("retain"), { stateDir });
  expect(switched.result.ok).toBe(true);
  const data = await dataOf(site);
  expect(data.volumes.length).toBeGreaterThan(0);

  repo.remove(`sites/${site}.yaml`);
  const commit = await repo.commit(`remove ${site}`);
  for (let pass = 1; pass <= 2; pass++) {
    const out = await reconcileRepo(docker, repo.dir, commit, { stateDir, allowMassDelete: true });
    expect(out.ctx.plan.actions.filter((a) => a.site === site && a.op === "delete" && a.kind !== "service" && a.kind !== "network")).toEqual([]);
    const left = await dataOf(site);
    expect(left.volumes).toEqual(data.volumes);
    expect(left.secrets).toEqual(data.secrets);
    // Removal waits for the tasks: the network is gone when apply returns, the next plan is clean.
    expect(left.networks).toEqual([]);
    expect(left.services).toEqual([]);
    const next = await planRepo(docker, repo.dir, { stateDir });
    expect(next.plan.actions.filter((a) => a.op !== "retain")).toEqual([]);
  }
});

test("a shared object that fails fails no site that does not use it", async () => {
  const shared = `${instance}s`;
  // An object with the shared Varnish's name that this instance does not own: creating it fails.
  await docker.createService({ Name: `${shared}_varnish`, TaskTemplate: { ContainerSpec: { Image: "simulium/busybox:local", Args: ["sleep", "600"] } }, Labels: { "simulium.test.by-hand": "1" } });
  const sharedRepo = await createRepo({
    "simulium.yaml": clusterYaml(shared, `  varnish: {image: "simulium/varnish:local", port: 18971}\n`),
    [`sites/${shared}-s.yaml`]: siteYaml(`${shared}-s`),
  });
  try {
    const out = await reconcileRepo(docker, sharedRepo.dir, await sharedRepo.commit("varnish blocked"), { stateDir });
    expect(out.result.sites.find((s) => s.site === null)).toMatchObject({ state: "failed", error: expect.stringMatching(/varnish.*already exists and is not owned/) });
    expect(out.result.sites.find((s) => s.site === `${shared}-s`)).toMatchObject({ state: "converged" });
  } finally {
    await docker.getService(`${shared}_varnish`).remove().catch(() => undefined);
    await removeInstance(docker, shared);
    sharedRepo.cleanup();
  }
});
