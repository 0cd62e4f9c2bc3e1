import { renderSite } from "../../../controller/desired/render";
import type { ServiceSpec } from "../../../controller/desired/types";
import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import { jobDeadline, jobServiceSpec, runningJobSpec } from "../../../controller/jobs/job-spec";
import { demuxLogs } from "../../../controller/engine/log-frames";
import { cluster, site } from "../../fixtures/core/builders";

const web = renderSite(site(), cluster()).find((r): r is ServiceSpec => r.kind === "service" && r.role === "web")!;
const ids = { networkId: (n: string) => `net:${n}`, secretId: (n: string) => `sec:${n}` };

describe("jobs: the job service spec", () => {
  const deadline = new Date("2026-01-01T10:00:00.000Z");
  const spec = jobServiceSpec(web, "acme_exec-abc123", ["drush", "cron"], ids, deadline);

  it("runs the command once, never restarted, as a replicated job", () => {
    expect(spec.Name).toBe("acme_exec-abc123");
    expect(spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(spec.TaskTemplate?.RestartPolicy).toEqual({ Condition: "none", MaxAttempts: 0 });
    expect(spec.TaskTemplate?.ContainerSpec?.Args).toEqual(["drush", "cron"]);
    expect(spec.UpdateConfig).toBeUndefined();
    expect(spec.EndpointSpec).toEqual({ Mode: "dnsrr", Ports: [] });
  });

  it("has the web service's image, environment, volumes, secrets and networks", () => {
    const c = spec.TaskTemplate?.ContainerSpec;
    expect(c?.Image).toBe(web.shape.image);
    expect(c?.Env).toContain("DB_PASSWORD_FILE=/run/secrets/db-password");
    expect(c?.Mounts?.map((m) => m.Source)).toEqual(web.shape.mounts.map((m) => m.source));
    expect(c?.Secrets?.map((s) => s.SecretID)).toEqual(web.shape.secrets.map((s) => `sec:${s.secretName}`));
    expect(spec.TaskTemplate?.Networks?.map((n) => n.Target)).toEqual(web.shape.networks.map((n) => `net:${n}`));
  });

  it("has no health check: a job serves nothing, and a failing check would kill a long job (drush updb, an import)", () => {
    expect(web.shape.healthcheck).toBeDefined();
    expect(spec.TaskTemplate?.ContainerSpec?.Healthcheck).toEqual({ Test: ["NONE"] });
  });

  it("is labelled the instance's, the site's, role job, and the service with its deadline", () => {
    const task = { "simulium.instance": cluster().instance, "simulium.site": "acme", "simulium.role": "job", "com.docker.stack.namespace": "acme" };
    expect(spec.Labels).toEqual({ ...task, "simulium.job-deadline": "2026-01-01T10:00:00.000Z" });
    expect(spec.TaskTemplate?.ContainerSpec?.Labels).toEqual(task);
  });

  it("is overdue its run time plus a margin after its creation", () => {
    expect(jobDeadline(new Date("2026-01-01T10:00:00Z"), 900).toISOString()).toBe("2026-01-01T10:20:00.000Z");
  });
});

describe("jobs: a job in the service as it runs", () => {
  // What the engine holds after Swarm rolled an update back: the previous image and env, by ID.
  const running = serviceSpecToApi({ ...web, shape: { ...web.shape, image: "registry.example.com/drupal:old", env: { ...web.shape.env, V: "old" } } }, { ...web.labels, "simulium.maintenance": "x" }, ids);
  const spec = runningJobSpec(running, "acme_cron-tick-abc123", ["drush", "cron"], new Date("2026-01-01T10:00:00Z"));

  it("runs the running image, environment, mounts, secrets and networks", () => {
    const c = spec.TaskTemplate?.ContainerSpec;
    expect(c?.Image).toBe("registry.example.com/drupal:old");
    expect(c?.Env).toContain("V=old");
    expect(c?.Args).toEqual(["drush", "cron"]);
    expect(c?.Mounts).toEqual(running.TaskTemplate?.ContainerSpec?.Mounts);
    expect(c?.Secrets).toEqual(running.TaskTemplate?.ContainerSpec?.Secrets);
    expect(spec.TaskTemplate?.Networks).toEqual(running.TaskTemplate?.Networks);
  });

  it("is a job of the service's site, without the service's own labels or update policy", () => {
    expect(spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(spec.Labels).toEqual({ "simulium.instance": cluster().instance, "simulium.site": "acme", "simulium.role": "job", "com.docker.stack.namespace": "acme", "simulium.job-deadline": "2026-01-01T10:00:00.000Z" });
    expect(spec.UpdateConfig).toBeUndefined();
  });
});

describe("jobs: multiplexed logs", () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it("joins stdout and stderr frames in order", () => {
    expect(demuxLogs(Buffer.concat([frame(1, "hello\n"), frame(2, "oops\n"), frame(1, "bye\n")]))).toBe("hello\noops\nbye\n");
    expect(demuxLogs(Buffer.alloc(0))).toBe("");
  });
});
