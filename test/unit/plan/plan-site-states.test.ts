import { EMPTY_LIVE } from "../../../controller/live/types";
import { makePlan } from "../../../controller/plan/plan";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

describe("plan: one state per site", () => {
  it("reports every state at once, sorted by site", () => {
    const live = liveFromDesired(
      desiredOf([site({ name: "changed" }), site({ name: "same" }), site({ name: "paused" }), site({ name: "broken" }), site({ name: "gone" }), site({ name: "leftover" })]),
    );
    const withoutLeftoverServices = {
      ...live,
      services: live.services.filter((s) => s.site !== "leftover"),
      networks: live.networks.filter((n) => n.site !== "leftover"),
    };
    const desired = desiredOf(
      [site({ name: "changed", web: { replicas: 3 } }), site({ name: "same" }), site({ name: "paused", suspend: true }), site({ name: "fresh" })],
      { invalidSites: ["broken"] },
    );
    expect(makePlan(desired, withoutLeftoverServices).sites).toEqual([
      { site: "broken", state: "invalid" },
      { site: "changed", state: "changed" },
      { site: "fresh", state: "changed" },
      { site: "gone", state: "removed" },
      { site: "leftover", state: "retained" },
      { site: "paused", state: "suspended" },
      { site: "same", state: "unchanged" },
    ]);
  });

  it("reports no site for the instance's shared objects", () => {
    expect(makePlan(desiredOf([]), EMPTY_LIVE).sites).toEqual([]);
  });
});
