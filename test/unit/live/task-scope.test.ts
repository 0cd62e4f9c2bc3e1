import { apiFromDesired, syntheticRepo } from "../../../bench/synthetic";
import { LABEL, JOB_ROLE } from "../../../controller/desired/labels";
import { renderDesired } from "../../../controller/desired/render";
import type { DesiredState } from "../../../controller/desired/types";
import type { ApiNetwork, ApiSecret, ApiService, ApiTask, ApiVolume } from "../../../controller/engine/api-types";
import { livePins } from "../../../controller/live/pins";
import { ApiLists, liveFromApi, liveObjectsFromApi, taskServiceIds, withTasks } from "../../../controller/live/read";
import { loadFiles } from "../../../controller/manifests/load";
import { makePlan } from "../../../controller/plan/plan";
import { PartialTasksError } from "../../../controller/live/tasks";
import { siteStatuses } from "../../../controller/reconcile/status";
import { varnishSettled } from "../../../controller/routing/after-apply";
import { runningTasksOf } from "../../../controller/routing/vcl-input-from";

/**
 * readLive(…, "plan") lists only the tasks a plan reads. These check that the plan made from
 * that read is the plan made from every task, for pinned sites, a site deployed before pinning
 * (its pin adopted from its running database task) and a finished job left behind.
 */
const instance = "bench";

function swarm(): { desired: DesiredState; lists: ApiLists } {
  const load = loadFiles(syntheticRepo(instance, "s", 3));
  if (!load.cluster) throw new Error(load.errors.map((e) => e.message).join("; "));
  const cluster = load.cluster;
  // s0 and s1 were deployed with pins (recorded on their services); s2 before pinning existed.
  const pins = new Map(["s0", "s1"].map((s) => [s, { node: "node1", here: true }]));
  const pinned = renderDesired({ sites: load.sites, cluster, pins });
  const legacy = renderDesired({ sites: load.sites, cluster });
  const desired: DesiredState = { ...pinned, resources: [...pinned.resources.filter((r) => r.site !== "s2"), ...legacy.resources.filter((r) => r.site === "s2")] };
  const bodies = apiFromDesired(desired);
  const services = JSON.parse(bodies.services) as ApiService[];
  // The legacy site's database runs on node2: the pin a plan adopts.
  const dbId = services.find((s) => s.Spec?.Name === "s2_db")?.ID;
  const tasks = (JSON.parse(bodies.tasks) as ApiTask[]).map((t) => (t.ServiceID === dbId ? { ...t, NodeID: "node2" } : t));
  // A job a killed CLI left behind, its task ended long ago: a plan removes it.
  const job: ApiService = { ID: "job1", Version: { Index: 1 }, Spec: { Name: "s1_job-x", Labels: { [LABEL.instance]: instance, [LABEL.site]: "s1", [LABEL.role]: JOB_ROLE }, TaskTemplate: {} } };
  const jobTask: ApiTask = { ID: "jt1", ServiceID: "job1", DesiredState: "shutdown", Status: { State: "complete", Timestamp: "2026-01-01T00:00:00Z" } };
  return {
    desired,
    lists: {
      networks: JSON.parse(bodies.networks) as ApiNetwork[],
      volumes: (JSON.parse(bodies.volumes) as { Volumes: ApiVolume[] }).Volumes,
      secrets: JSON.parse(bodies.secrets) as ApiSecret[],
      services: [...services, job],
      tasks: [...tasks, jobTask],
    },
  };
}

describe("readLive's task scope: a plan lists only the tasks it reads", () => {
  const { desired, lists } = swarm();
  const all = liveFromApi(instance, lists, "all");
  const objects = liveObjectsFromApi(instance, lists);
  const serviceName = new Map(all.services.map((s) => [s.id, s.name]));
  const ids = taskServiceIds(objects, "plan");
  // As the engine answers a task list filtered by service.
  const scoped = withTasks(objects, lists.tasks.filter((t) => ids.includes(t.ServiceID ?? "")), "plan");

  it("lists the tasks of the data services of sites without a recorded pin, and of jobs; no other", () => {
    expect(ids.map((id) => serviceName.get(id) ?? id).sort()).toEqual(["job1", "s2_db", "s2_web"]);
    expect(taskServiceIds(objects, "all").length).toBe(all.services.length + 1);
    expect(scoped.tasks.length).toBeLessThan(all.tasks.length);
    expect(scoped.taskScope).toBe("plan");
    expect(all.taskScope).toBeUndefined();
  });

  it("reads the same pins (recorded, and adopted from the legacy site's running database)", () => {
    expect(livePins(all).pinned.get("s2")).toBe("node2");
    expect(livePins(scoped)).toEqual(livePins(all));
  });

  it("makes the same plan, the stale job's removal included", () => {
    const now = Date.parse("2026-11-30T00:00:00Z");
    const full = makePlan(desired, all, [], now);
    expect(full.actions.filter((a) => a.op === "delete").map((a) => a.name)).toEqual(["s1_job-x"]);
    expect(makePlan(desired, scoped, [], now)).toEqual(full);
  });

  it("refuses a plan's read to every reader that routes to running tasks (Varnish's backends, its own tasks), rather than see none", () => {
    expect(runningTasksOf("s0_web", all)).toHaveLength(1);
    expect(varnishSettled("s0_web", all)).toBe(true);
    expect(() => runningTasksOf("s0_web", scoped)).toThrow(PartialTasksError);
    expect(() => varnishSettled("s0_web", scoped)).toThrow(PartialTasksError);
  });

  it("refuses to count tasks for status from a plan's read", () => {
    expect(() => siteStatuses({ ...scoped }, null)).toThrow(PartialTasksError);
    expect(siteStatuses(all, null).find((s) => s.site === "s0")?.tasks).toEqual({ running: 2, desired: 2 });
  });
});
