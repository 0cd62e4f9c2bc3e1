import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { Lease, LeaseLostError } from "../../../controller/engine/lease";
import { reconcileWith } from "../../../controller/reconcile/reconcile";
import type { Plan } from "../../../controller/plan/types";
import type { Admission, RunScope } from "../../../controller/reconcile/scope";
import { quietLog } from "../../support/reconcile";

/**
 * A run of the daemon may wait in its scope's admission (another run is planning or changing
 * shared objects) while holding the instance lock; the lock may be lost meanwhile (not renewed
 * in time, taken over). Applying then would change the swarm beside its new holder: the run
 * stops with LeaseLostError instead, before any change. And a site a later run changed is left
 * out of the plan from the start (the mass-deletion guard and a confirmation see what may apply).
 */
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-lease-lost-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An empty swarm that answers reads; any other call (a change) is recorded and refused. */
function emptySwarm(changes: string[]): Docker {
  const reads: Record<string, () => unknown> = {
    listNetworks: () => [],
    listVolumes: () => ({ Volumes: [] }),
    listSecrets: () => [],
    listServices: () => [],
    listTasks: () => [],
    listConfigs: () => [],
    listNodes: () => [{ ID: "n1", Description: { Hostname: "n1" }, Spec: { Role: "manager", Availability: "active" }, Status: { State: "ready" } }],
    info: () => ({ Swarm: { NodeID: "n1" }, SystemTime: new Date().toISOString() }),
    ping: () => "OK",
  };
  return new Proxy({} as Docker, {
    get: (_t, name) => {
      // Not a thenable: awaiting the client must not count as a call.
      if (typeof name !== "string" || name === "then") return undefined;
      const read = reads[name];
      if (read) return async () => read();
      return (..._args: unknown[]) => {
        changes.push(name);
        throw new Error(`unexpected engine call ${name}`);
      };
    },
  });
}

test("a lock lost while the run waited to be admitted is not applied under: LeaseLostError, nothing changed", async () => {
  const repo = path.join(root, "repo");
  mkdirSync(path.join(repo, "sites"), { recursive: true });
  writeFileSync(path.join(repo, "simulium.yaml"), "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  instance: lost\n  defaults:\n    web: {image: simulium/web:local}\n    database: {image: simulium/mariadb:local}\n");
  writeFileSync(path.join(repo, "sites", "acme.yaml"), "apiVersion: simulium/v1\nkind: Site\nmetadata: {name: acme}\nspec:\n  domains: [acme.org]\n  web: {}\n");
  const changes: string[] = [];
  let lostWith: LeaseLostError | undefined;
  const released: string[] = [];
  const lease: Lease = { holder: "daemon", lost: () => lostWith, release: async () => void released.push("released") };
  const scope: RunScope = {
    lockedSteps: false,
    planning: () => [],
    // The wait in admission: the lock's renewal finds it taken over meanwhile.
    admit: async (): Promise<Admission> => {
      lostWith = new LeaseLostError("lost", "it is held by simulium apply on another host now");
      return { kind: "all" };
    },
    done: () => undefined,
  };
  const run = reconcileWith(emptySwarm(changes), repo, [], { commit: "c1", log: quietLog, stateDir: path.join(root, "state"), acquireLease: async () => lease, scope });
  await expect(run).rejects.toBeInstanceOf(LeaseLostError);
  expect(changes).toEqual([]);
  expect(released).toEqual(["released"]);
});

test("sites a later run changed are left out of the plan before it is shown or guarded, not only before it is applied", async () => {
  const repo = path.join(root, "repo-newer");
  mkdirSync(path.join(repo, "sites"), { recursive: true });
  writeFileSync(path.join(repo, "simulium.yaml"), "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  instance: newer\n  defaults:\n    web: {image: simulium/web:local}\n    database: {image: simulium/mariadb:local}\n");
  for (const name of ["acme", "beta"]) writeFileSync(path.join(repo, "sites", `${name}.yaml`), `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: ${name}}\nspec:\n  domains: [${name}.org]\n  web: {}\n`);
  const changes: string[] = [];
  const sitesOf = (plan: Plan) => [...new Set(plan.actions.flatMap((a) => (a.site === null ? [] : [a.site])))].sort();
  const shown: string[][] = [];
  const admitted: string[][] = [];
  const lostWith = new LeaseLostError("newer", "stopped here: nothing is applied in this test");
  const scope: RunScope = {
    lockedSteps: false,
    // beta was changed by a run that started later (a newer commit).
    planning: () => ["beta"],
    admit: async (plan): Promise<Admission> => {
      admitted.push(sitesOf(plan));
      return { kind: "all" };
    },
    done: () => undefined,
  };
  const lease: Lease = { holder: "daemon", lost: () => (admitted.length > 0 ? lostWith : undefined), release: async () => undefined };
  const run = reconcileWith(emptySwarm(changes), repo, [], {
    commit: "c1",
    log: quietLog,
    stateDir: path.join(root, "state-newer"),
    acquireLease: async () => lease,
    scope,
    onPlan: async (ctx) => {
      shown.push(sitesOf(ctx.plan));
      return true;
    },
  });
  await expect(run).rejects.toBe(lostWith);
  expect(shown.length).toBeGreaterThan(0);
  for (const s of [...shown, ...admitted]) expect(s).toEqual(["acme"]);
  expect(changes).toEqual([]);
});
