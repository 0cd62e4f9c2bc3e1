import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import { LABEL } from "../../../controller/desired/labels";
import type { ServiceSpec } from "../../../controller/desired/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { IDS } from "../../fixtures/core/live";
import { find } from "../desired/helpers";

describe("service-spec: simulium's service → the engine's", () => {
  const desired = desiredOf([site({ web: { resources: {} } })]);
  const web: ServiceSpec = find(desired, "service", "acme_web");
  const labels = { ...web.labels, [LABEL.commit]: "abc123" };
  const api = serviceSpecToApi(web, labels, IDS);
  const container = api.TaskTemplate?.ContainerSpec;

  it("puts the commit on the service labels, never on the task template (a commit must not restart tasks)", () => {
    expect(api.Labels?.[LABEL.commit]).toBe("abc123");
    expect(container?.Labels).not.toHaveProperty(LABEL.commit);
    expect(container?.Labels).toEqual(web.shape.taskLabels);
  });

  it("refers to networks and secrets by engine ID, secrets mounted read-only for everyone", () => {
    expect(api.TaskTemplate?.Networks).toEqual([{ Target: "net-acme_default" }, { Target: "net-sim_edge" }]);
    for (const s of container?.Secrets ?? []) {
      expect(s.SecretID).toBe(`sec-${s.SecretName}`);
      expect(s.File).toEqual({ Name: expect.any(String), UID: "0", GID: "0", Mode: 0o444 });
    }
  });

  it("writes Env sorted, so the same spec always sends the same bytes", () => {
    const env = container?.Env ?? [];
    expect(env).toEqual([...env].sort((a, b) => a.localeCompare(b)));
    expect(env).toContain("SIMULIUM_SITE=acme");
  });

  it("sends no limits it was not given, and no Args without a command", () => {
    expect(api.TaskTemplate?.Resources).toEqual({ Limits: {} });
    expect(container).not.toHaveProperty("Args");
  });

  it("converts seconds to nanoseconds and pauses (never loops) a failed rollback", () => {
    expect(api.UpdateConfig).toMatchObject({ Monitor: 15e9, Order: "start-first", FailureAction: "rollback", Parallelism: 1 });
    expect(api.RollbackConfig).toMatchObject({ Monitor: 15e9, FailureAction: "pause" });
  });

  it("restarts tasks on any exit, and runs the asked replicas with the cluster's endpoint mode", () => {
    expect(api.TaskTemplate?.RestartPolicy?.Condition).toBe("any");
    expect(api.Mode).toEqual({ Replicated: { Replicas: 2 } });
    expect(api.EndpointSpec).toEqual({ Mode: "dnsrr", Ports: [] });
  });

  it("does not alias the desired spec (the caller may not mutate it through the API object)", () => {
    container?.Env?.push("X=1");
    api.Labels!.extra = "1";
    expect(web.shape.env).not.toHaveProperty("X");
    expect(web.labels).not.toHaveProperty("extra");
  });
});
