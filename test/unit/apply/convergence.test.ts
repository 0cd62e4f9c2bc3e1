import { evaluateService, expectedTasks, needsNodes } from "../../../controller/apply/convergence";
import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import type { ServiceShape } from "../../../controller/desired/types";
import { serviceFromApi } from "../../../controller/live/read";
import type { LiveNode, LiveService, LiveTask } from "../../../controller/live/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { IDS, liveFromDesired, task } from "../../fixtures/core/live";

const live = liveFromDesired(desiredOf([site()]), { tasks: false });
const web = live.services.find((s) => s.name === "acme_web") as LiveService;
const current: ServiceShape = web.shape;
const previous: ServiceShape = { ...current, image: "registry.example.com/drupal-civicrm:10.2" };
const expected = { replicas: 2 };

const svc = (updateState: string | null, updateMessage: string | null = null): LiveService => ({ ...web, updateState, updateMessage });
const run = (shape: ServiceShape, slot: number) => task(web, shape, { slot });
const failedTask = (shape: ServiceShape, n: number, o: { error?: string; exitCode?: number; state?: string } = {}): LiveTask =>
  task(web, shape, { state: o.state ?? "failed", slot: 1, id: `failed-${n}`, timestamp: `2024-05-01T10:0${n}:00Z`, ...o });

describe("convergence: evaluateService", () => {
  it("is converged when enough tasks run the current spec and no old task is left", () => {
    expect(evaluateService(svc("completed"), [run(current, 1), run(current, 2)], expected)).toEqual({ state: "converged", running: 2 });
  });

  it("is converged for a service never updated (no update state)", () => {
    expect(evaluateService(svc(null), [run(current, 1), run(current, 2)], expected).state).toBe("converged");
  });

  it("ignores finished tasks of the old spec (shut down, kept in history)", () => {
    const old = task(web, previous, { state: "shutdown", desiredState: "shutdown", slot: 1, id: "old" });
    expect(evaluateService(svc("completed"), [old, run(current, 1), run(current, 2)], expected).state).toBe("converged");
  });

  it("is progressing while an old task still runs, even with enough new ones", () => {
    const verdict = evaluateService(svc("completed"), [run(current, 1), run(current, 2), run(previous, 3)], expected);
    expect(verdict).toEqual({ state: "progressing", running: 2 });
  });

  it("is progressing while fewer tasks than replicas run", () => {
    expect(evaluateService(svc(null), [run(current, 1)], expected)).toEqual({ state: "progressing", running: 1 });
  });

  it("is progressing during a rolling update, whatever the tasks", () => {
    expect(evaluateService(svc("updating"), [run(current, 1), run(current, 2)], expected).state).toBe("progressing");
    expect(evaluateService(svc("rollback_started"), [], expected).state).toBe("progressing");
  });

  it("does not count tasks of other services", () => {
    const foreign = { ...run(current, 1), serviceId: "svc-other" };
    expect(evaluateService(svc(null), [foreign, { ...foreign, id: "f2" }], expected)).toEqual({ state: "progressing", running: 0 });
  });

  it("does not count a task that runs but is being shut down", () => {
    const leaving = task(web, current, { state: "running", desiredState: "shutdown", slot: 2 });
    expect(evaluateService(svc(null), [run(current, 1), leaving], expected)).toEqual({ state: "progressing", running: 1 });
  });

  it("is failed when Swarm rolled the update back, with the task's error as the reason", () => {
    const tasks = [run(previous, 1), run(previous, 2), failedTask(current, 1, { state: "rejected", error: "No such image: x" })];
    const verdict = evaluateService(svc("rollback_completed", "update rolled back due to failure or early termination of task abc"), tasks, expected);
    expect(verdict.state).toBe("failed");
    expect(verdict).toMatchObject({ reason: expect.stringContaining("No such image: x") });
    expect(verdict).toMatchObject({ reason: expect.stringContaining("rolled back") });
  });

  it.each(["rollback_completed", "rollback_paused", "paused"])("is failed on %s even without a task error", (state) => {
    const verdict = evaluateService(svc(state), [run(previous, 1), run(previous, 2)], expected);
    expect(verdict).toEqual({ state: "failed", running: 0, reason: `update ${state.replace("_", " ")}` });
  });

  it("is failed after 3 rejected attempts with nothing running, naming the latest error", () => {
    const tasks = [
      failedTask(current, 1, { state: "rejected", error: "No such image: a" }),
      failedTask(current, 3, { state: "rejected", error: "No such image: latest" }),
      failedTask(current, 2, { state: "rejected", error: "No such image: b" }),
    ];
    expect(evaluateService(svc(null), tasks, expected)).toEqual({ state: "failed", running: 0, reason: "No such image: latest" });
  });

  it("names the exit code when failed tasks left no error message", () => {
    const tasks = [1, 2, 3].map((n) => failedTask(current, n, { exitCode: 137 }));
    expect(evaluateService(svc(null), tasks, expected)).toEqual({ state: "failed", running: 0, reason: "exit code 137" });
  });

  it("is still progressing after 2 failed attempts", () => {
    const tasks = [1, 2].map((n) => failedTask(current, n, { error: "boom" }));
    expect(evaluateService(svc(null), tasks, expected).state).toBe("progressing");
  });

  it("is progressing, not failed, when 3 attempts failed but one task now runs", () => {
    const tasks = [...[1, 2, 3].map((n) => failedTask(current, n, { error: "boom" })), run(current, 1)];
    expect(evaluateService(svc(null), tasks, expected)).toEqual({ state: "progressing", running: 1 });
  });

  it("does not count failures of the old spec against the new one", () => {
    const tasks = [1, 2, 3].map((n) => failedTask(previous, n, { error: "old failure" }));
    expect(evaluateService(svc(null), tasks, expected).state).toBe("progressing");
  });

  it("is converged at zero replicas once every task is gone", () => {
    expect(evaluateService(svc(null), [], { ...expected, replicas: 0 })).toEqual({ state: "converged", running: 0 });
  });

  describe("updates of fields outside the container (the whole task template counts)", () => {
    /** The service as Swarm holds it right after apply sent `shape`: its update not started (no update state). */
    const updatedTo = (shape: ServiceShape, updateState: string | null = null): LiveService =>
      serviceFromApi({ ID: web.id, Version: { Index: 9 }, Spec: serviceSpecToApi({ kind: "service", site: "acme", name: web.name, role: "web", shape, labels: web.labels }, web.labels, IDS), ...(updateState ? { UpdateStatus: { State: updateState } } : {}) }, new Map());
    const node = (labels: Record<string, string> = {}): LiveNode => ({ id: "node-1", hostname: "n1", role: "manager", ip: "10.0.0.1", os: "linux", arch: "x86_64", labels, engineLabels: {}, availability: "active", state: "ready" });

    it.each<[string, Partial<ServiceShape>]>([
      ["a memory limit", { memoryBytes: 256 * 1024 * 1024 }],
      ["a CPU limit", { nanoCpus: current.nanoCpus === 250_000_000 ? 750_000_000 : 250_000_000 }],
      ["a network", { networks: ["acme_default"] }],
    ])("is progressing after an update of %s only, while the old tasks still run (Swarm has not started it yet)", (_what, edit) => {
      const next = { ...current, ...edit };
      expect(evaluateService(updatedTo(next), [run(current, 1), run(current, 2)], expected)).toEqual({ state: "progressing", running: 0 });
      expect(evaluateService(updatedTo(next, "completed"), [run(next, 1), run(next, 2)], expected)).toEqual({ state: "converged", running: 2 });
    });

    it("is progressing after a constraints-only update while a task's node does not satisfy them (Swarm is about to move it)", () => {
      const next = { ...current, constraints: ["node.labels.nope==1"] };
      const tasks = [run(current, 1), run(current, 2)];
      const nodes = new Map([["node-1", node()]]);
      expect(needsNodes(updatedTo(next), tasks)).toBe(true);
      expect(evaluateService(updatedTo(next), tasks, expected, nodes)).toEqual({ state: "progressing", running: 0 });
    });

    it("is converged after a constraints-only update the tasks' node satisfies (Swarm keeps them in place)", () => {
      const next = { ...current, constraints: ["node.labels.disk==ssd"] };
      const nodes = new Map([["node-1", node({ disk: "ssd" })]]);
      expect(evaluateService(updatedTo(next), [run(current, 1), run(current, 2)], expected, nodes)).toEqual({ state: "converged", running: 2 });
    });

    it("says why the new task waits: no node satisfies the constraints", () => {
      const next = { ...current, constraints: ["node.labels.nope==1"] };
      const pending = task(web, next, { state: "pending", desiredState: "running", error: "no suitable node (scheduling constraints not satisfied on 1 node)", id: "p", slot: 1, nodeId: null });
      const verdict = evaluateService(updatedTo(next, "updating"), [run(current, 1), run(current, 2), pending], expected, new Map([["node-1", node()]]));
      expect(verdict).toEqual({ state: "progressing", running: 0, waiting: "task pending: no suitable node (scheduling constraints not satisfied on 1 node)" });
    });

    it("does not count a task still starting (Swarm holds a task with a health check there until it is healthy)", () => {
      const starting = task(web, current, { state: "starting", desiredState: "running", slot: 2, id: "s" });
      expect(evaluateService(svc("completed"), [run(current, 1), starting], expected)).toEqual({ state: "progressing", running: 1, waiting: "task starting" });
    });

    it("needs no nodes when every task carries the service's constraints", () => {
      expect(needsNodes(web, [run(current, 1)])).toBe(false);
    });
  });
});

describe("convergence: a global service (Varnish in global mode)", () => {
  const global: ServiceShape = { ...current, replicas: 0, global: true };
  const gsvc: LiveService = { ...web, shape: global, updateState: null, updateMessage: null };
  const on = (node: string, o: { state?: string } = {}) => task(gsvc, global, { nodeId: node, id: `t-${node}-${o.state ?? "running"}`, desiredState: "running", ...o });

  it("expects one task on each node Swarm gave it a task on, whatever the replica count says", () => {
    expect(expectedTasks(gsvc, [on("n1"), on("n2"), on("n3")])).toBe(3);
    expect(evaluateService(gsvc, [on("n1"), on("n2"), on("n3")], { replicas: 0 })).toEqual({ state: "converged", running: 3 });
  });

  it("is progressing while the task of one node is not running yet", () => {
    expect(evaluateService(gsvc, [on("n1"), on("n2"), on("n3", { state: "starting" })], { replicas: 0 })).toMatchObject({ state: "progressing", running: 2 });
  });

  it("is not converged while one node's task crash-loops (its replacement waits out the restart delay as `ready`)", () => {
    const failed = (node: string) => task(gsvc, global, { nodeId: node, id: `f-${node}`, state: "failed", desiredState: "shutdown" });
    const waiting = (node: string) => task(gsvc, global, { nodeId: node, id: `w-${node}`, state: "ready", desiredState: "ready" });
    const tasks = [on("n1"), failed("n2"), waiting("n2"), failed("n3"), waiting("n3")];
    expect(expectedTasks(gsvc, tasks)).toBe(3);
    expect(evaluateService(gsvc, tasks, { replicas: 0 }).state).toBe("progressing");
  });

  it("is not converged with no task at all (no node its constraints allow)", () => {
    expect(expectedTasks(gsvc, [])).toBe(1);
    expect(evaluateService(gsvc, [], { replicas: 0 }).state).toBe("progressing");
  });

  it("counts a replicated service by its replicas", () => {
    expect(expectedTasks(web, [])).toBe(web.shape.replicas);
  });
});
