import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import type { ServiceShape, ServiceSpec } from "../../../controller/desired/types";
import { fingerprintOfContainer, fingerprintOfShape } from "../../../controller/live/fingerprint";
import { shapeFromApi } from "../../../controller/live/normalize";
import { diffService } from "../../../controller/plan/diff";
import { IDS, networkId } from "../../fixtures/core/live";

/** A small seeded PRNG (mulberry32): the same cases on every run, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = "abcXYZ019_=-./:@ \n\"'$";

/** A random shape as render would produce it (lists in their normalised order). */
function randomShape(rand: () => number): ServiceShape {
  const int = (n: number) => Math.floor(rand() * n);
  const str = (n: number) => Array.from({ length: int(n) }, () => CHARS[int(CHARS.length)]).join("");
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const env: Record<string, string> = {};
  for (let i = int(8); i > 0; i--) env[`${pick(["A", "B", "DB_", "x"])}${int(100)}`] = str(12);
  const mounts = Array.from({ length: int(4) }, (_, i) => ({ source: `s_v${i}`, target: `/m/${pick(["a", "B", "c-d", "_e"])}${i}`, readOnly: rand() < 0.5 })).sort((a, b) =>
    a.target.localeCompare(b.target),
  );
  const secrets = Array.from({ length: int(4) }, (_, i) => ({ secretName: `s_x${i}-0123456789`, target: `${pick(["db-", "api_", "Z"])}${i}` })).sort((a, b) =>
    a.target.localeCompare(b.target),
  );
  return {
    image: pick(["drupal:10", "registry.example.com:5000/team/drupal:10.3", "localhost/x@sha256:" + "e".repeat(64)]),
    args: rand() < 0.5 ? null : Array.from({ length: 1 + int(3) }, () => str(6)),
    env,
    replicas: int(5),
    mounts,
    secrets,
    networks: [...new Set(Array.from({ length: int(3) }, () => pick(["s_default", "sim_edge", "other_net"])))].sort(),
    memoryBytes: rand() < 0.5 ? null : 1 + int(1e9),
    nanoCpus: rand() < 0.5 ? null : 1 + int(4e9),
    endpointMode: pick(["vip", "dnsrr"] as const),
    ports: [],
    constraints: [...new Set(Array.from({ length: int(3) }, () => `node.labels.${pick(["a", "b", "Z"])}==${int(3)}`))].sort(),
    taskLabels: rand() < 0.5 ? {} : { "simulium.instance": "sim", k: str(5) },
    update: {
      order: pick(["start-first", "stop-first"] as const),
      failureAction: pick(["rollback", "pause", "continue"] as const),
      monitorSeconds: 1 + int(600),
      parallelism: 1 + int(3),
    },
  };
}

describe("normalize: fuzzed shapes survive the round trip and never diff against themselves", () => {
  const names = new Map(["s_default", "sim_edge", "other_net"].map((n) => [networkId(n), n]));

  it("holds for 300 seeded random shapes", () => {
    const rand = prng(20240501);
    for (let i = 0; i < 300; i++) {
      const shape = randomShape(rand);
      const spec: ServiceSpec = { kind: "service", site: "s", name: "s_web", role: "web", shape, labels: { "simulium.site": "s" } };
      const api = serviceSpecToApi(spec, spec.labels, IDS);
      const back = shapeFromApi(api, names);
      // The case number rides along so a failure names the case to reproduce.
      expect({ case: i, shape: back }).toEqual({ case: i, shape });
      expect({ case: i, diff: diffService(spec, { shape: back, labels: spec.labels }) }).toEqual({ case: i, diff: [] });
      expect({ case: i, fp: fingerprintOfContainer(api.TaskTemplate?.ContainerSpec) }).toEqual({ case: i, fp: fingerprintOfShape(shape) });
    }
  });
});
