import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import { LABEL } from "../../../controller/desired/labels";
import type { ServiceSpec } from "../../../controller/desired/types";
import type { ApiServiceSpec } from "../../../controller/engine/api-types";
import { shapeFromApi } from "../../../controller/live/normalize";
import { diffService } from "../../../controller/plan/diff";
import { desiredOf, site } from "../../fixtures/core/builders";
import { IDS, networkId } from "../../fixtures/core/live";
import { find } from "../desired/helpers";

const DIGEST = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";

/**
 * What `docker service inspect` returns for a service simulium created: the engine fills
 * defaults, reorders Env, pins the image to a digest (when updated by the CLI), and moves
 * fields around. None of it is a difference.
 */
function asEngineReturnsIt(sent: ApiServiceSpec): ApiServiceSpec {
  const task = sent.TaskTemplate ?? {};
  const container = task.ContainerSpec ?? {};
  const returned = {
    ...sent,
    TaskTemplate: {
      ContainerSpec: {
        Image: `${container.Image}@${DIGEST}`,
        Labels: container.Labels,
        Env: [...(container.Env ?? [])].reverse(),
        Mounts: [...(container.Mounts ?? [])].reverse().map((m) => ({ ...m, VolumeOptions: {} })),
        Secrets: [...(container.Secrets ?? [])].reverse(),
        Isolation: "default",
        Init: false,
        StopGracePeriod: container.StopGracePeriod ?? 10_000_000_000,
        ...(container.Healthcheck ? { Healthcheck: { ...container.Healthcheck } } : {}),
        DNSConfig: {},
      },
      Resources: { Limits: task.Resources?.Limits ?? {}, Reservations: {} },
      RestartPolicy: { Condition: "any", Delay: 5_000_000_000, MaxAttempts: 0 },
      Placement: { Constraints: [...(task.Placement?.Constraints ?? [])].reverse(), Platforms: [{ Architecture: "amd64", OS: "linux" }] },
      Networks: [...(task.Networks ?? [])].reverse(),
      ForceUpdate: 0,
      Runtime: "container",
    },
    UpdateConfig: { Delay: 0, ...sent.UpdateConfig },
    EndpointSpec: { Mode: sent.EndpointSpec?.Mode },
  };
  return returned;
}

describe("normalize: an engine-returned spec with defaults and reordering is no difference", () => {
  const desired = desiredOf([site({ placement: { constraints: ["node.role==worker", "node.labels.a==b"] } })]);
  const names = new Map(desired.resources.filter((r) => r.kind === "network").map((n) => [networkId(n.name), n.name]));

  for (const name of ["acme_web", "acme_db"]) {
    it(`${name}: plan sees no change`, () => {
      const spec: ServiceSpec = find(desired, "service", name);
      const labels = { ...spec.labels, [LABEL.commit]: "abc123" };
      const live = shapeFromApi(asEngineReturnsIt(serviceSpecToApi(spec, labels, IDS)), names);
      expect(live.image).toBe(`${spec.shape.image}@${DIGEST}`);
      expect({ ...live, image: spec.shape.image }).toEqual(spec.shape);
      expect(diffService(spec, { shape: live, labels })).toEqual([]);
    });
  }

  it("reads an absent Mode, Limits, UpdateConfig and EndpointSpec as the engine's defaults", () => {
    const shape = shapeFromApi({ TaskTemplate: { ContainerSpec: { Image: "x:1" } } }, new Map());
    expect(shape).toEqual({
      image: "x:1",
      args: null,
      env: {},
      replicas: 0,
      mounts: [],
      secrets: [],
      networks: [],
      memoryBytes: null,
      nanoCpus: null,
      endpointMode: "vip",
      ports: [],
      constraints: [],
      taskLabels: {},
      update: { order: "stop-first", failureAction: "pause", monitorSeconds: 0, parallelism: 1, delaySeconds: 0 },
    });
  });

  it("ignores bind and tmpfs mounts (not simulium's) and keeps volume mounts with no Type", () => {
    const shape = shapeFromApi(
      {
        TaskTemplate: {
          ContainerSpec: {
            Mounts: [
              { Type: "bind", Source: "/etc/hosts", Target: "/etc/hosts" },
              { Type: "tmpfs", Target: "/tmp" },
              { Source: "v", Target: "/data" },
            ],
          },
        },
      },
      new Map(),
    );
    expect(shape.mounts).toEqual([{ source: "v", target: "/data", readOnly: false }]);
  });

  it("keeps a network it cannot name by its ID rather than dropping it", () => {
    const shape = shapeFromApi({ TaskTemplate: { Networks: [{ Target: "abc123" }, { Target: "def" }] } }, new Map([["def", "acme_default"]]));
    expect(shape.networks).toEqual(["abc123", "acme_default"]);
  });

  it("reads Monitor from nanoseconds into seconds", () => {
    expect(shapeFromApi({ UpdateConfig: { Monitor: 15_000_000_000, Order: "start-first", FailureAction: "rollback", Parallelism: 2 } }, new Map()).update).toEqual({
      order: "start-first",
      failureAction: "rollback",
      monitorSeconds: 15,
      parallelism: 2,
      delaySeconds: 0,
    });
  });

  it("parses env entries with '=' in the value and entries without '='", () => {
    const shape = shapeFromApi({ TaskTemplate: { ContainerSpec: { Env: ["DSN=mysql://u@h/db?x=1", "EMPTY=", "BARE"] } } }, new Map());
    expect(shape.env).toEqual({ DSN: "mysql://u@h/db?x=1", EMPTY: "", BARE: "" });
  });

  it("treats an empty Args list as no command", () => {
    expect(shapeFromApi({ TaskTemplate: { ContainerSpec: { Args: [] } } }, new Map()).args).toBeNull();
  });
});
