import type { ServiceShape } from "../../../controller/desired/types";
import { diffService } from "../../../controller/plan/diff";
import { sameService } from "../../../controller/plan/same";
import { prng, randomShape } from "../../fixtures/core/random-shape";

const labels = { "simulium.instance": "sim", "simulium.site": "s", "simulium.spec-hash": "abc", "simulium.commit": "c1" };

/** One field of a shape changed, the way a hand edit or a manifest change would. */
function mutate(s: ServiceShape, rand: () => number): ServiceShape {
  const edits: ((x: ServiceShape) => ServiceShape)[] = [
    (x) => ({ ...x, image: `${x.image}-next` }),
    (x) => ({ ...x, image: `${x.image.split("@")[0]}@sha256:${"f".repeat(64)}` }),
    (x) => ({ ...x, replicas: x.replicas + 1 }),
    (x) => ({ ...x, args: x.args === null ? ["cron"] : null }),
    (x) => ({ ...x, args: x.args === null ? [] : [...x.args, "more"] }),
    (x) => ({ ...x, env: { ...x.env, HAND_EDIT: "1" } }),
    (x) => ({ ...x, env: Object.fromEntries(Object.entries(x.env).slice(1)) }),
    (x) => ({ ...x, mounts: x.mounts.map((m) => ({ ...m, readOnly: !m.readOnly })) }),
    (x) => ({ ...x, secrets: [...x.secrets, { secretName: "s_new-0123456789", target: "zz" }] }),
    (x) => ({ ...x, networks: [...x.networks, "zz_net"] }),
    (x) => ({ ...x, memoryBytes: (x.memoryBytes ?? 0) + 1 }),
    (x) => ({ ...x, nanoCpus: null }),
    (x) => ({ ...x, endpointMode: x.endpointMode === "vip" ? "dnsrr" : "vip" }),
    (x) => ({ ...x, ports: [{ target: 80, published: 8080, protocol: "tcp", mode: "host" }] }),
    (x) => ({ ...x, constraints: [] }),
    (x) => ({ ...x, taskLabels: { ...x.taskLabels, extra: "1" } }),
    (x) => ({ ...x, update: { ...x.update, monitorSeconds: x.update.monitorSeconds + 1 } }),
    (x) => ({ ...x, update: { ...x.update, order: x.update.order === "start-first" ? "stop-first" : "start-first" } }),
  ];
  return edits[Math.floor(rand() * edits.length)](s);
}

describe("sameService: a fast check that never hides a change diffService would report", () => {
  it("is true for a shape and itself (whatever the commit label)", () => {
    const rand = prng(7);
    for (let i = 0; i < 100; i++) {
      const s = randomShape(rand);
      expect(sameService({ shape: s, labels }, { shape: { ...s }, labels: { ...labels, "simulium.commit": "c2" } })).toBe(true);
    }
  });

  it("is false whenever diffService finds a change, over 1,000 seeded mutations and label edits", () => {
    const rand = prng(42);
    let differing = 0;
    for (let i = 0; i < 1000; i++) {
      const a = randomShape(rand);
      const b = rand() < 0.9 ? mutate(a, rand) : randomShape(rand);
      const liveLabels = rand() < 0.2 ? { ...labels, "simulium.domains": "x.test" } : labels;
      const desired = { shape: a, labels };
      const live = { shape: b, labels: liveLabels };
      if (diffService(desired, live).length > 0) {
        differing++;
        expect(sameService(desired, live)).toBe(false);
      }
    }
    expect(differing).toBeGreaterThan(800);
  });

  it("accepts a CLI-pinned digest of the same tag, as diffService does", () => {
    const s = randomShape(prng(3));
    const desired = { ...s, image: "drupal:10" };
    const live = { ...s, image: `drupal:10@sha256:${"a".repeat(64)}` };
    expect(diffService({ shape: desired, labels }, { shape: live, labels })).toEqual([]);
    expect(sameService({ shape: desired, labels }, { shape: live, labels })).toBe(true);
  });
});
