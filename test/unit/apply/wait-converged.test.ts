import { progressKey } from "../../../controller/apply/wait-converged";
import type { LiveService } from "../../../controller/live/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired, task } from "../../fixtures/core/live";

const live = liveFromDesired(desiredOf([site()]), { tasks: false });
const web = live.services.find((s) => s.name === "acme_web") as LiveService;
const next = { ...web.shape, image: "registry.example.com/drupal-civicrm:10.3" };
const old = task(web, web.shape, { slot: 1 });

describe("convergence wait: progressKey", () => {
  it("is the same for the same tasks and update states, in any order", () => {
    const starting = task(web, next, { slot: 1, id: "new-1", state: "starting", desiredState: "running" });
    expect(progressKey({ services: [web], tasks: [old, starting] })).toBe(progressKey({ services: [web], tasks: [starting, old] }));
  });

  it("changes when a watched task changes state: the routing must then see the new task", () => {
    const starting = task(web, next, { slot: 1, id: "new-1", state: "starting", desiredState: "running" });
    const running = task(web, next, { slot: 1, id: "new-1", state: "running" });
    const stopping = task(web, web.shape, { slot: 1, state: "running", desiredState: "shutdown" });
    const before = progressKey({ services: [web], tasks: [old, starting] });
    expect(progressKey({ services: [web], tasks: [old, running] })).not.toBe(before);
    expect(progressKey({ services: [web], tasks: [stopping, starting] })).not.toBe(before);
    expect(progressKey({ services: [web], tasks: [starting] })).not.toBe(before);
  });

  it("changes when a service's update state changes (an update paused or rolled back)", () => {
    const key = progressKey({ services: [{ ...web, updateState: "updating" }], tasks: [old] });
    expect(progressKey({ services: [{ ...web, updateState: "rollback_started" }], tasks: [old] })).not.toBe(key);
  });
});
