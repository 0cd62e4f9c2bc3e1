import { anticipateStarting } from "../../../controller/routing/anticipate";
import { vclInputFrom } from "../../../controller/routing/vcl-input-from";
import { preparedOf, unitHashOfName } from "../../../controller/varnish/load-split";
import { renderSplitVcl, splitHash } from "../../../controller/varnish/vcl-split";
import { bareSite, cluster } from "../../fixtures/core/builders";
import { live } from "./live-builder";

const shop = bareSite("shop", { domains: ["shop.org"] });
const services = [{ name: "shop_web" }];
const hashOf = (state: ReturnType<typeof live>): string => splitHash(renderSplitVcl(vclInputFrom({ cluster: cluster(), sites: [shop], live: state })));

describe("routing prepared ahead for tasks still starting", () => {
  it("renders, from a rollout's state, the VCLs the sync renders once the new task runs: beside the old task, then without it", () => {
    const during = live(services, [{ service: "shop_web", ip: "10.0.9.2" }, { service: "shop_web", ip: "10.0.9.7", state: "starting" }]);
    // The builder gives each task its own slot; a replacement shares its old task's.
    const rollout = { ...during, tasks: during.tasks.map((t) => ({ ...t, slot: 1 })) };
    const both = live(services, [{ service: "shop_web", ip: "10.0.9.2" }, { service: "shop_web", ip: "10.0.9.7" }]);
    const replaced = live(services, [{ service: "shop_web", ip: "10.0.9.2", desiredState: "shutdown" }, { service: "shop_web", ip: "10.0.9.7" }]);
    const anticipated = anticipateStarting(rollout);
    expect(anticipated.map(hashOf)).toEqual([hashOf(both), hashOf(replaced)]);
    expect(hashOf(rollout)).not.toBe(hashOf(both));
    // The state it was given is not changed: the sync of this tick still routes the running task only.
    expect(rollout.tasks.map((t) => t.state)).toEqual(["running", "starting"]);
    // A new slot (scaling up) replaces nothing: one state.
    expect(anticipateStarting(during).map(hashOf)).toEqual([hashOf(both)]);
  });

  it("has nothing to anticipate without a starting task with an address, or from a plan's partial read", () => {
    expect(anticipateStarting(live(services, [{ service: "shop_web", ip: "10.0.9.2" }]))).toEqual([]);
    expect(anticipateStarting(live(services, [{ service: "shop_web", state: "starting" }]))).toEqual([]);
    expect(anticipateStarting(live(services, [{ service: "shop_web", ip: "10.0.9.7", state: "starting", desiredState: "shutdown" }]))).toEqual([]);
    expect(anticipateStarting({ ...live(services, [{ service: "shop_web", ip: "10.0.9.7", state: "starting" }]), taskScope: "plan" })).toEqual([]);
  });

  it("keeps a read task's lazy fingerprint lazy", () => {
    let hashed = 0;
    const state = live(services, [{ service: "shop_web", ip: "10.0.9.7", state: "starting" }]);
    const lazy = Object.defineProperty({ ...state.tasks[0] }, "fingerprint", { get: () => String(++hashed), enumerable: true });
    const [anticipated] = anticipateStarting({ ...state, tasks: [lazy as (typeof state.tasks)[0]] });
    expect(hashed).toBe(0);
    expect(anticipated?.tasks[0]?.state).toBe("running");
    expect(anticipated?.tasks[0]?.fingerprint).toBe("1");
  });

  it("names a prepared group VCL by its content and when it was compiled", () => {
    expect(preparedOf("p_0123456789ab_1764600000")).toEqual({ hash12: "0123456789ab", atS: 1764600000 });
    expect(unitHashOfName("p_0123456789ab_1764600000")).toBe("0123456789ab");
    expect(unitHashOfName("u_0123456789ab")).toBe("0123456789ab");
    expect(preparedOf("u_0123456789ab")).toBeUndefined();
    expect(preparedOf("s_0123456789ab")).toBeUndefined();
  });

  it("prepares nothing for a mass converge: more starting tasks than the limit", () => {
    const many = live(services, [1, 2, 3].map((n) => ({ service: "shop_web", ip: `10.0.9.${n}`, state: "starting" })));
    expect(anticipateStarting(many, 2)).toEqual([]);
    expect(anticipateStarting(many, 3)).toHaveLength(1);
  });
});
