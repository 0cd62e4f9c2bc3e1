import { creditFollowed, RoutingFollower } from "../../../controller/routing/follow";
import type { RoutingResult } from "../../../controller/routing/sync";

const follower = (...hashes: string[]): RoutingFollower => ({ onProgress: async () => undefined, loaded: new Set(hashes), settled: async () => undefined });
const result: RoutingResult = {
  vclHash: "h-final",
  ok: false,
  tasks: [
    { task: "t1", endpoint: "10.0.9.2:6082", ok: true, changed: false, vclName: "s_final" },
    { task: "t2", endpoint: "10.0.9.3:6082", ok: false, error: "refused" },
  ],
};

describe("routing followed during apply: the final result", () => {
  it("says changed when the follower already loaded the final VCL during the rollout", () => {
    expect(creditFollowed(result, follower("h-mid", "h-final"))?.tasks).toEqual([
      { task: "t1", endpoint: "10.0.9.2:6082", ok: true, changed: true, vclName: "s_final" },
      { task: "t2", endpoint: "10.0.9.3:6082", ok: false, error: "refused" },
    ]);
  });

  it("leaves the result alone when the follower loaded only intermediate VCLs, or none, or there is no Varnish", () => {
    expect(creditFollowed(result, follower("h-mid"))).toBe(result);
    expect(creditFollowed(result, follower())).toBe(result);
    expect(creditFollowed(result, null)).toBe(result);
    expect(creditFollowed(null, follower("h-final"))).toBeNull();
  });
});
