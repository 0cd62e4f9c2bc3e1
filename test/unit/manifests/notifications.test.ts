import { resolveCluster } from "../../../controller/manifests/resolve";
import { checkClusterSchema } from "../../../controller/manifests/schema";

describe("simulium.yaml spec.notifications", () => {
  it("resolves webhooks, the commit status target and the default suppression", () => {
    const cluster = {
      apiVersion: "simulium/v1" as const,
      kind: "Cluster" as const,
      spec: {
        notifications: {
          webhooks: [{ url: "https://alerts.example.org/simulium", secretFile: "/run/secrets/notify" }],
          commitStatus: { api: "https://git.example.org/api/v1", tokenFile: "/run/secrets/forge-token" },
        },
      },
    };
    expect(checkClusterSchema(cluster).ok).toBe(true);
    expect(resolveCluster(cluster).notifications).toEqual({
      webhooks: [{ url: "https://alerts.example.org/simulium", secretFile: "/run/secrets/notify" }],
      commitStatus: { api: "https://git.example.org/api/v1", tokenFile: "/run/secrets/forge-token" },
      suppressSeconds: 3600,
    });
  });

  it("refuses a token written inline instead of a file path", () => {
    const r = checkClusterSchema({
      apiVersion: "simulium/v1",
      kind: "Cluster",
      spec: { notifications: { commitStatus: { api: "https://git.example.org/api/v1", token: "abc" } } },
    });
    expect(r.ok).toBe(false);
  });

  it("is absent when simulium.yaml sets none", () => {
    expect(resolveCluster({ apiVersion: "simulium/v1", kind: "Cluster", spec: {} }).notifications).toBeUndefined();
  });
});
