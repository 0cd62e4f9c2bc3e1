import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LiveState } from "../../../controller/live/types";
import type { RepoRead } from "../../../controller/manifests/read";
import { loadBesideLive } from "../../../controller/reconcile/load-beside-live";
import { clusterYaml } from "../../support/manifests";

// The swarm is read while the manifests load, for the instance simulium.yaml names; that read
// is used only if the load ends with the same instance, and a failed load fails as before.

const root = mkdtempSync(join(tmpdir(), "simulium-beside-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function repo(name: string, cluster: string | undefined): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "sites"), { recursive: true });
  if (cluster !== undefined) writeFileSync(join(dir, "simulium.yaml"), cluster);
  return dir;
}

const liveOf = (instance: string): LiveState => ({ networks: [], volumes: [], secrets: [], services: [], tasks: [], jobs: [], nodes: [], here: instance });

/** A readLive that records each instance asked for, and when. */
function recorder(events: string[]): (instance: string) => Promise<LiveState> {
  return async (instance) => {
    events.push(`live ${instance}`);
    return liveOf(instance);
  };
}

test("the swarm is read for simulium.yaml's instance before the load ends, and that read is the one used", async () => {
  const events: string[] = [];
  const dir = repo("early", clusterYaml("early"));
  const both = await loadBesideLive(dir, {
    instance: undefined,
    load: async (read: () => Promise<RepoRead>) => {
      const files = await read();
      events.push(`load ${files.files.map((f) => f.path).join(",")}`);
      return { cluster: { instance: "early" } };
    },
    readLive: recorder(events),
  });
  expect(events).toEqual(["live early", "load simulium.yaml"]);
  expect(both.live.here).toBe("early");
});

test("--instance is the instance read, without reading simulium.yaml for it", async () => {
  const events: string[] = [];
  const dir = repo("flag", "not: [valid");
  const both = await loadBesideLive(dir, { instance: "flagged", load: async (read) => (await read(), { cluster: { instance: "flagged" } }), readLive: recorder(events) });
  expect(events).toEqual(["live flagged"]);
  expect(both.live.here).toBe("flagged");
});

test("a load that ends with another instance (simulium.yaml changed meanwhile) reads the swarm again for it", async () => {
  const events: string[] = [];
  const dir = repo("moved", clusterYaml("before"));
  const both = await loadBesideLive(dir, { instance: undefined, load: async (read) => (await read(), { cluster: { instance: "after" } }), readLive: recorder(events) });
  expect(events).toEqual(["live before", "live after"]);
  expect(both.live.here).toBe("after");
});

test("without simulium.yaml, the default instance is read; with a broken one, nothing before the load", async () => {
  const events: string[] = [];
  await loadBesideLive(repo("none", undefined), { instance: undefined, load: async (read) => (await read(), { cluster: { instance: "simulium" } }), readLive: recorder(events) });
  expect(events).toEqual(["live simulium"]);
  events.length = 0;
  await loadBesideLive(repo("broken", "spec: [unclosed"), { instance: undefined, load: async (read) => (await read(), { cluster: { instance: "simulium" } }), readLive: recorder(events) });
  expect(events).toEqual(["live simulium"]);
});

test("a failed load fails with its own error, the early read's failure dropped (never unhandled)", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    const dir = repo("fails", clusterYaml("fails"));
    const run = loadBesideLive(dir, {
      instance: undefined,
      load: async () => {
        throw new Error("simulium.yaml is invalid");
      },
      readLive: async () => {
        throw new Error("the engine does not answer");
      },
    });
    await expect(run).rejects.toThrow("simulium.yaml is invalid");
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});

test("the engine's failure is the command's when the load succeeds", async () => {
  const dir = repo("down", clusterYaml("down"));
  const run = loadBesideLive(dir, {
    instance: undefined,
    load: async (read) => (await read(), { cluster: { instance: "down" } }),
    readLive: async () => {
      throw new Error("connect ENOENT /var/run/docker.sock");
    },
  });
  await expect(run).rejects.toThrow("connect ENOENT");
});
