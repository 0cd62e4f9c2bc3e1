import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import type { ServiceSpec } from "../../../controller/desired/types";
import { shapeFromApi } from "../../../controller/live/normalize";
import { bareSite, cluster, desiredOf, site } from "../../fixtures/core/builders";
import { IDS, networkId } from "../../fixtures/core/live";

/**
 * What apply sends, read back by the live reader, must equal what was desired: any field
 * that does not survive the round trip is a redeploy on every reconcile.
 */
function roundTrip(spec: ServiceSpec) {
  const api = serviceSpecToApi(spec, spec.labels, IDS);
  const names = new Map(spec.shape.networks.map((n) => [networkId(n), n]));
  return shapeFromApi(api, names);
}

const variants: [string, ReturnType<typeof desiredOf>][] = [
  ["a full site", desiredOf([site()])],
  ["a bare site", desiredOf([bareSite("tiny")])],
  ["a site with a command and read-only volume", desiredOf([site({ web: { command: ["php-fpm", "-F"] }, volumes: [{ name: "ro", mountPath: "/ro", readOnly: true }] })])],
  ["vip endpoints and no limits", desiredOf([site({ web: { resources: {} } })], { cluster: cluster({ endpointMode: "vip" }) })],
  ["many constraints and env", desiredOf([site({ placement: { constraints: ["z==1", "a==2", "node.role==manager"] }, web: { env: { Z: "", A: "x=y=z", M: "multi\nline" } } })])],
  ["zero replicas", desiredOf([site({ web: { replicas: 0 } })])],
  ["a web service spread over the nodes", desiredOf([bareSite("spread")])],
];

describe("normalize: every rendered service survives the engine round trip", () => {
  for (const [label, desired] of variants) {
    for (const spec of desired.resources.filter((r): r is ServiceSpec => r.kind === "service")) {
      it(`${label}: ${spec.name}`, () => {
        expect(roundTrip(spec)).toEqual(spec.shape);
      });
    }
  }

  it("survives published ports given in any order", () => {
    const [web] = desiredOf([bareSite("p")]).resources.filter((r): r is ServiceSpec => r.kind === "service");
    if (!web) throw new Error("no web");
    const ports = [
      { target: 80, published: 8080, protocol: "tcp" as const, mode: "host" as const },
      { target: 53, published: 5353, protocol: "udp" as const, mode: "ingress" as const },
    ];
    const spec: ServiceSpec = { ...web, shape: { ...web.shape, ports } };
    expect(roundTrip(spec).ports).toEqual([ports[1], ports[0]]);
  });
});
