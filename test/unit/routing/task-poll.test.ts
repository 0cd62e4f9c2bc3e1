import type Docker from "dockerode";
import type { ApiTask } from "../../../controller/engine/api-types";
import { pollTasks, routingTaskKey } from "../../../controller/routing/task-poll";

const task = (id: string, node: string, address: string, role = "web", state = "running"): ApiTask => ({
  ID: id,
  NodeID: node,
  Status: { State: state },
  Spec: { ContainerSpec: { Labels: { "simulium.role": role } } },
  NetworksAttachments: [{ Network: { ID: "n1" }, Addresses: [`${address}/24`] }],
});

describe("what routing reads from the tasks (the poll's comparison)", () => {
  it("changes when a task is replaced, moves node, changes address or state; not for order or jobs", () => {
    const base = [task("a", "node1", "10.0.1.5"), task("b", "node2", "10.0.1.6")];
    const key = routingTaskKey(base);
    expect(routingTaskKey([...base].reverse())).toBe(key);
    expect(routingTaskKey([...base, task("cron1", "node2", "10.0.1.9", "job")])).toBe(key);
    expect(routingTaskKey([base[0]!, task("c", "node2", "10.0.1.6")])).not.toBe(key);
    expect(routingTaskKey([base[0]!, task("b", "node3", "10.0.1.6")])).not.toBe(key);
    expect(routingTaskKey([base[0]!, task("b", "node2", "10.0.1.7")])).not.toBe(key);
    expect(routingTaskKey([base[0]!, task("b", "node2", "10.0.1.6", "web", "starting")])).not.toBe(key);
  });
});

/** The two engine calls the poll makes, answering from mutable lists; the calls are counted. */
function engine(nodes: string[], tasks: ApiTask[]) {
  const calls = { nodes: 0, tasks: 0, filters: [] as unknown[] };
  const docker = {
    listNodes: async () => {
      calls.nodes++;
      return nodes.map((id) => ({ ID: id }));
    },
    listTasks: async (opts: { filters: unknown }) => {
      calls.tasks++;
      calls.filters.push(opts.filters);
      return [...tasks];
    },
  } as Partial<Docker> as Docker;
  return { docker, calls };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

describe("the task poll of a multi-node swarm", () => {
  it("calls onChange when a task on another node is replaced, once per change, listing by the instance's label", async () => {
    const tasks = [task("a", "node1", "10.0.1.5"), task("b", "node2", "10.0.1.6")];
    const { docker, calls } = engine(["node1", "node2"], tasks);
    let changes = 0;
    const poll = pollTasks(docker, "demo", () => changes++, { intervalMs: 5 });
    try {
      await until(() => calls.tasks >= 3);
      expect(changes).toBe(0);
      tasks[1] = task("b2", "node2", "10.0.1.8");
      await until(() => changes === 1);
      const seen = calls.tasks;
      await until(() => calls.tasks >= seen + 3);
      expect(changes).toBe(1);
      expect(calls.filters[0]).toEqual({ label: ["simulium.instance=demo"], "desired-state": ["running"] });
    } finally {
      poll.stop();
    }
  });

  it("lists no tasks on a single node (container events see everything there), and starts when a node joins", async () => {
    const nodes = ["node1"];
    const tasks = [task("a", "node1", "10.0.1.5")];
    const { docker, calls } = engine(nodes, tasks);
    let changes = 0;
    const poll = pollTasks(docker, "demo", () => changes++, { intervalMs: 5, nodesEveryMs: 20 });
    try {
      await until(() => calls.nodes >= 2);
      expect(calls.tasks).toBe(0);
      nodes.push("node2");
      await until(() => calls.tasks >= 2);
      tasks.push(task("b", "node2", "10.0.1.6"));
      await until(() => changes === 1);
    } finally {
      poll.stop();
    }
  });

  it("keeps polling after a failed list, and reports it", async () => {
    const { docker, calls } = engine(["node1", "node2"], []);
    let fail = true;
    const listTasks = docker.listTasks.bind(docker);
    docker.listTasks = (async (opts: { filters: unknown }) => {
      if (fail) {
        fail = false;
        throw new Error("engine busy");
      }
      return listTasks(opts);
    }) as Docker["listTasks"];
    const errors: string[] = [];
    const poll = pollTasks(docker, "demo", () => undefined, { intervalMs: 5, onError: (e) => errors.push(e.message) });
    try {
      await until(() => calls.tasks >= 2);
      expect(errors).toEqual(["engine busy"]);
    } finally {
      poll.stop();
    }
  });
});
