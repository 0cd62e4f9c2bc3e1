import { LABEL } from "../../../controller/desired/labels";
import type { ApiService, ApiTask, ApiTaskTemplate } from "../../../controller/engine/api-types";
import { templateFingerprint } from "../../../controller/live/fingerprint";
import { liveFromApi } from "../../../controller/live/read";

const mine = (extra: Record<string, string> = {}): Record<string, string> => ({ [LABEL.instance]: "acme", [LABEL.site]: "blog", ...extra });

/** A task template whose LogDriver counts its reads: only a fingerprint reads it. */
function countingTemplate(): { template: ApiTaskTemplate; reads: () => number } {
  let reads = 0;
  const template: ApiTaskTemplate = {
    ContainerSpec: { Image: "drupal:10", Env: ["A=1"] },
    Placement: { Constraints: ["node.role==worker", "node.labels.a==b"] },
    Networks: [{ Target: "n1" }],
  };
  Object.defineProperty(template, "LogDriver", {
    enumerable: true,
    get: () => {
      reads++;
      return undefined;
    },
  });
  return { template, reads: () => reads };
}

describe("liveFromApi: the engine's lists → the instance's live state", () => {
  const web = countingTemplate();
  const taskSpec = countingTemplate();
  const services: ApiService[] = [
    { ID: "s1", Version: { Index: 7 }, Spec: { Name: "blog_web", Labels: mine({ [LABEL.role]: "web" }), TaskTemplate: web.template } },
    { ID: "s2", Spec: { Name: "other_web", Labels: { [LABEL.instance]: "other" }, TaskTemplate: {} } },
    { ID: "j1", Spec: { Name: "blog_job", Labels: mine({ [LABEL.role]: "job" }), TaskTemplate: {} } },
  ];
  const tasks: ApiTask[] = [
    { ID: "t1", ServiceID: "s1", Spec: taskSpec.template, Status: { State: "running" }, NetworksAttachments: [{ Network: { ID: "n1" }, Addresses: ["10.0.1.5/24"] }] },
    { ID: "t2", ServiceID: "j1", Status: { State: "complete", Timestamp: "2026-11-30T00:00:00Z" } },
  ];
  const live = liveFromApi("acme", {
    networks: [
      { Id: "n1", Name: "blog_default", Labels: mine() },
      { Id: "n2", Name: "other_default", Labels: { [LABEL.instance]: "other" } },
    ],
    volumes: [{ Name: "blog_files", Labels: mine() }],
    secrets: [{ ID: "x1", Spec: { Name: "blog_salt", Labels: mine() } }],
    services,
    tasks,
  });

  it("keeps only the instance's objects, lists jobs apart with their tasks, and names networks", () => {
    expect(live.networks.map((n) => n.name)).toEqual(["blog_default"]);
    expect(live.services.map((s) => s.name)).toEqual(["blog_web"]);
    expect(live.services[0]?.shape.networks).toEqual(["blog_default"]);
    expect(live.jobs.map((j) => [j.name, j.tasks])).toEqual([["blog_job", [{ state: "complete", timestamp: "2026-11-30T00:00:00Z" }]]]);
    expect(live.tasks.map((t) => [t.id, t.addresses])).toEqual([["t1", { blog_default: "10.0.1.5" }]]);
    expect(live.volumes.map((v) => v.name)).toEqual(["blog_files"]);
    expect(live.secrets.map((s) => s.name)).toEqual(["blog_salt"]);
  });

  it("fingerprints templates only when a fingerprint is read (a plan reads none), once, and as templateFingerprint does", () => {
    expect([web.reads(), taskSpec.reads()]).toEqual([0, 0]);
    const service = live.services[0];
    const task = live.tasks[0];
    if (service === undefined || task === undefined) throw new Error("no service or task read");
    const eager = templateFingerprint(web.template);
    expect(web.reads()).toBe(1);
    expect(service.template.fingerprint).toBe(eager.fingerprint);
    expect(service.template.constraints).toEqual(["node.labels.a==b", "node.role==worker"]);
    expect(service.template.fingerprint).toBe(eager.fingerprint);
    expect(web.reads()).toBe(2);
    expect([task.fingerprint, task.constraints]).toEqual([eager.fingerprint, eager.constraints]);
    expect(task.constraints).toEqual(eager.constraints);
    expect(taskSpec.reads()).toBe(1);
    // Plain data still: a copy or JSON of a task carries its fingerprint.
    expect({ ...task }.fingerprint).toBe(eager.fingerprint);
    expect((JSON.parse(JSON.stringify(task)) as { fingerprint: string }).fingerprint).toBe(eager.fingerprint);
  });
});
