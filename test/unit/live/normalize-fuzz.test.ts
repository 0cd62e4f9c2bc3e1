import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import type { ServiceSpec } from "../../../controller/desired/types";
import { shapeFromApi } from "../../../controller/live/normalize";
import { diffService } from "../../../controller/plan/diff";
import { IDS, networkId } from "../../fixtures/core/live";
import { prng, randomShape } from "../../fixtures/core/random-shape";

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
    }
  });
});
