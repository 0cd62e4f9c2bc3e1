import { clusterRules } from "../../../controller/manifests/cluster-rules";
import { resolveCluster, resolveSite } from "../../../controller/manifests/resolve";
import { checkClusterSchema } from "../../../controller/manifests/schema";
import type { Cluster, Site } from "../../../controller/manifests/types";

const clusterWith = (backup: unknown): Cluster => ({ apiVersion: "simulium/v1", kind: "Cluster", spec: { backup } } as Cluster);

describe("simulium.yaml spec.backup", () => {
  it("defaults to the backups volume, a generated password and a weekly check", () => {
    const c = clusterWith({ image: "simulium/backup:local" });
    expect(checkClusterSchema(c).ok).toBe(true);
    expect(resolveCluster(c).backup).toEqual({ image: "simulium/backup:local", repository: { volume: true }, password: { generated: true }, env: {}, checkSchedule: "30 4 * * 0" });
  });

  it("takes a restic URL base, a sealed password and sealed variables", () => {
    const c = clusterWith({
      image: "b",
      repository: "s3:https://s3.example.org/backups/",
      password: { sealed: "YWdl" },
      env: { AWS_ACCESS_KEY_ID: { sealed: "a2V5" } },
      check: { schedule: "0 5 * * *" },
    });
    expect(checkClusterSchema(c).ok).toBe(true);
    expect(resolveCluster(c).backup).toEqual({ image: "b", repository: { url: "s3:https://s3.example.org/backups" }, password: { sealed: "YWdl" }, env: { AWS_ACCESS_KEY_ID: "a2V5" }, checkSchedule: "0 5 * * *" });
  });

  it("refuses a password or a credential written in clear, and an unknown repository kind", () => {
    expect(checkClusterSchema(clusterWith({ image: "b", password: "hunter2" })).ok).toBe(false);
    expect(checkClusterSchema(clusterWith({ image: "b", env: { AWS_SECRET_ACCESS_KEY: "x" } })).ok).toBe(false);
    expect(checkClusterSchema(clusterWith({ image: "b", repository: "/srv/backups" })).ok).toBe(false);
  });

  it("is off without an image, and says so when spec.backup is there", () => {
    expect(resolveCluster(clusterWith({ repository: "volume" })).backup).toBeUndefined();
    expect(clusterRules(clusterWith({ repository: "volume" })).map((i) => i.message)).toEqual([expect.stringContaining("set spec.backup.image")]);
    expect(clusterRules(clusterWith({ image: "b", check: { schedule: "every day" } })).map((i) => i.path.join("."))).toEqual(["spec.backup.check.schedule"]);
  });
});

describe("a site's spec.backup", () => {
  it("carries the calendar keep rules when set", () => {
    const site = {
      apiVersion: "simulium/v1",
      kind: "Site",
      metadata: { name: "acme" },
      spec: { domains: ["acme.org"], web: { image: "w" }, backup: { schedule: "0 3 * * *", keep: 3, keepDaily: 7, keepMonthly: 12 } },
    } as Site;
    const r = resolveSite(site, "sites/acme.yaml");
    expect(r.ok && r.site.backup).toEqual({ schedule: "0 3 * * *", keep: 3, keepDaily: 7, keepMonthly: 12 });
  });
});
