import { Issue } from "./issue";
import { imageIssue, scheduleIssue } from "./site-rules";
import type { Cluster } from "./types";

/** The rules for simulium.yaml that JSON Schema cannot express. Pure. */
export function clusterRules(cluster: Cluster): Issue[] {
  const spec = cluster.spec ?? {};
  return [
    ...imageIssue(spec.defaults?.web?.image, ["spec", "defaults", "web", "image"]),
    ...imageIssue(spec.defaults?.database?.image, ["spec", "defaults", "database", "image"]),
    ...imageIssue(spec.varnish?.image, ["spec", "varnish", "image"]),
    ...scheduleIssue(spec.defaults?.backup?.schedule, ["spec", "defaults", "backup", "schedule"]),
    ...imageIssue(spec.backup?.image, ["spec", "backup", "image"]),
    ...scheduleIssue(spec.backup?.check?.schedule, ["spec", "backup", "check", "schedule"]),
    ...(spec.backup && spec.backup.image === undefined ? [{ path: ["spec", "backup", "image"], message: "backups need a tools image (restic, MariaDB client, rsync): set spec.backup.image" }] : []),
    ...timeZone(spec.timeZone),
  ];
}

function timeZone(zone: string | undefined): Issue[] {
  if (zone === undefined) return [];
  try {
    // Intl knows the IANA database the process (and node-cron) will use.
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return [];
  } catch {
    return [{ path: ["spec", "timeZone"], message: `${JSON.stringify(zone)} is not a known IANA time zone (e.g. UTC, Europe/Brussels)` }];
  }
}
