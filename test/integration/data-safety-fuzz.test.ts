import Docker from "dockerode";
import { connectDocker } from "../../controller/engine/docker";
import { readLive } from "../../controller/live/read";
import { planRepo } from "../../controller/features";
import { startCountingProxy } from "../support/counting-proxy";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance } from "../support/swarm";

/**
 * Random sequences of manifest edits (deletion policy, secret rotation, removal, a broken
 * file, re-adding) through plan and apply on the real engine. After every step:
 * - no volume or secret of a site whose policy was Retain when it was removed is ever deleted;
 * - a second apply sends no mutating call to the engine;
 * - the plan right after an apply is empty.
 * The seed is printed, so a failing sequence can be replayed with SIMULIUM_FUZZ_SEED.
 */
const docker = connectDocker();
const instance = testInstance("fz");
const sites = ["a", "b", "c"].map((s) => `${instance}-${s}`);
const STEPS = Number(process.env.SIMULIUM_FUZZ_STEPS ?? 10);
const seed = Number(process.env.SIMULIUM_FUZZ_SEED ?? Date.now() % 100_000);
let repo: TestRepo;

interface SiteModel {
  present: boolean;
  broken: boolean;
  policy: "Retain" | "Delete";
  rotation: number;
}

/** mulberry32: a small seeded generator, so a sequence replays exactly. */
function rng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const manifest = (name: string, m: SiteModel): string =>
  m.broken ? siteYaml(name, { deletionPolicy: m.policy, secretRotation: m.rotation }).replace("domains:", "domains: 42\n  nodomains:") : siteYaml(name, { deletionPolicy: m.policy, secretRotation: m.rotation });

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
});

test(`random manifest edits never lose retained data, and every apply is idempotent (seed ${seed})`, async () => {
  process.stderr.write(`[fuzz] seed ${seed}, ${STEPS} steps (replay: SIMULIUM_FUZZ_SEED=${seed})\n`);
  const random = rng(seed);
  const model = new Map<string, SiteModel>(sites.map((s) => [s, { present: true, broken: false, policy: "Retain", rotation: 0 }]));
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance), ...Object.fromEntries(sites.map((s) => [`sites/${s}.yaml`, manifest(s, model.get(s) as SiteModel)])) });
  await reconcileRepo(docker, repo.dir, await repo.commit("start"));
  /** Data objects that must outlive everything: those of a site removed while it said Retain. */
  const protectedData = new Set<string>();
  const proxy = await startCountingProxy();
  const counted = new Docker({ socketPath: proxy.socketPath });
  try {
    for (let step = 1; step <= STEPS; step++) {
      const name = sites[Math.floor(random() * sites.length)] as string;
      const m = model.get(name) as SiteModel;
      const before = await readLive(docker, instance);
      const edits = m.present
        ? (["policy", "rotate", "remove", "break", "fix"] as const)
        : (["readd"] as const);
      const edit = edits[Math.floor(random() * edits.length)] as string;
      if (edit === "policy") m.policy = m.policy === "Retain" ? "Delete" : "Retain";
      if (edit === "rotate") m.rotation++;
      if (edit === "break") m.broken = true;
      if (edit === "fix" || edit === "readd") m.broken = false;
      if (edit === "remove") m.present = false;
      if (edit === "readd") m.present = true;
      if (m.present) repo.write(`sites/${name}.yaml`, manifest(name, m));
      else repo.remove(`sites/${name}.yaml`);
      process.stderr.write(`[fuzz] step ${step}: ${edit} ${name} → ${JSON.stringify(m)}\n`);

      // The policy the removed site was last *applied* with decides (a broken manifest is not applied).
      const web = before.services.find((s) => s.name === `${name}_web`);
      if (edit === "remove" && web?.labels["simulium.deletion-policy"] !== "Delete") {
        for (const o of [...before.volumes, ...before.secrets]) if (o.site === name) protectedData.add(o.name);
      }

      // Re-added, the site claims its retained data again: what its manifest says from now on applies.
      if (edit === "readd") for (const kept of [...protectedData]) if (kept.startsWith(`${name}_`)) protectedData.delete(kept);

      const commit = await repo.commit(`step ${step}: ${edit} ${name}`);
      const first = await reconcileRepo(docker, repo.dir, commit, { allowMassDelete: true });
      expect(first.result.sites.filter((s) => s.state === "failed")).toEqual([]);

      const live = await readLive(docker, instance);
      const names = new Set([...live.volumes, ...live.secrets].map((o) => o.name));
      for (const kept of protectedData) expect({ step, kept, present: names.has(kept) }).toEqual({ step, kept, present: true });

      proxy.reset();
      const second = await reconcileRepo(counted, repo.dir, commit, { allowMassDelete: true });
      expect({ step, mutating: proxy.mutating() }).toEqual({ step, mutating: [] });
      expect(second.mutations).toBe(0);
      const plan = await planRepo(docker, repo.dir);
      expect({ step, pending: plan.plan.actions.filter((a) => a.op !== "retain").map((a) => `${a.op} ${a.name}`) }).toEqual({ step, pending: [] });
    }
  } finally {
    await proxy.close();
  }
});
