import { massDeletion } from "../../../controller/plan/guard";
import { makePlan } from "../../../controller/plan/plan";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

describe("guard: a plan removing most running sites is a mass deletion", () => {
  const three = ["a", "b", "c"].map((name) => site({ name }));
  const live = liveFromDesired(desiredOf(three));
  const keep = (...names: string[]) => makePlan(desiredOf(three.filter((s) => names.includes(s.name))), live);

  it("refuses removing 2 of 3 running sites", () => {
    expect(massDeletion(keep("a"), live)).toEqual({ removing: ["b", "c"], running: 3 });
  });

  it("refuses removing every site (an emptied checkout)", () => {
    expect(massDeletion(keep(), live)).toEqual({ removing: ["a", "b", "c"], running: 3 });
  });

  it("allows removing 1 of 3", () => {
    expect(massDeletion(keep("a", "b"), live)).toBeNull();
  });

  it("allows removing exactly half (1 of 2)", () => {
    const two = liveFromDesired(desiredOf(three.slice(0, 2)));
    expect(massDeletion(makePlan(desiredOf([three[0]!]), two), two)).toBeNull();
  });

  it("allows a plan that removes nothing", () => {
    expect(massDeletion(keep("a", "b", "c"), live)).toBeNull();
  });

  it("does not count sites that only have retained data as running", () => {
    const dataOnly = { ...live, services: live.services.filter((s) => s.site === "a") };
    // b and c have no services left: removing a is removing the only running site.
    expect(massDeletion(makePlan(desiredOf([]), dataOnly), dataOnly)).toEqual({ removing: ["a"], running: 1 });
  });
});
