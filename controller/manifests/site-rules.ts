import { SSH_HOST_KEY } from "./access";
import { Issue, PathSegment, quote } from "./issue";
import { parseImageRef } from "./image-ref";
import { MAIL_SECRETS } from "./mail";
import { scheduleProblem } from "./schedule";
import { hookIssues } from "./site-jobs";
import {
  DATABASE_SECRETS,
  DATABASE_VOLUME,
  MAX_SECRET_NAME,
  MAX_VOLUME_NAME,
  secretNameLength,
  volumeName,
} from "./swarm-names";
import type { Site } from "./types";

/** Where Swarm mounts a service's secrets: a volume there would hide them. */
const SECRETS_MOUNT = "/run/secrets";

/**
 * The rules for one site that JSON Schema cannot express. Pure; runs on a manifest that
 * already passed the schema. `fileSite` is the site name the file name gives.
 */
export function siteRules(site: Site, fileSite: string): Issue[] {
  return [
    ...nameMatchesFile(site, fileSite),
    ...images(site),
    ...schedules(site),
    ...volumes(site),
    ...secrets(site),
    ...uniqueNames(site.spec.cron ?? [], ["spec", "cron"], "cron job"),
    ...hookIssues(site.spec),
    ...renderedNames(site),
  ];
}

/** An image reference's problem as an issue, or none. Shared with the cluster rules. */
export function imageIssue(image: string | undefined, path: readonly PathSegment[]): Issue[] {
  if (image === undefined) return [];
  const parsed = parseImageRef(image);
  return parsed.ok ? [] : [{ path, message: `image ${quote(image)} ${parsed.problem}` }];
}

export function scheduleIssue(schedule: string | undefined, path: readonly PathSegment[]): Issue[] {
  if (schedule === undefined) return [];
  const problem = scheduleProblem(schedule);
  return problem ? [{ path, message: `schedule ${problem}` }] : [];
}

function nameMatchesFile(site: Site, fileSite: string): Issue[] {
  if (site.metadata.name === fileSite) return [];
  return [{ path: ["metadata", "name"], message: `${quote(site.metadata.name)} must equal the file name: this file is sites/${fileSite}.yaml` }];
}

function images(site: Site): Issue[] {
  return [...imageIssue(site.spec.web.image, ["spec", "web", "image"]), ...imageIssue(site.spec.database?.image, ["spec", "database", "image"])];
}

function schedules(site: Site): Issue[] {
  const cron = (site.spec.cron ?? []).flatMap((c, i) => scheduleIssue(c.schedule, ["spec", "cron", i, "schedule"]));
  return [...cron, ...scheduleIssue(site.spec.backup?.schedule, ["spec", "backup", "schedule"])];
}

function volumes(site: Site): Issue[] {
  const list = site.spec.volumes ?? [];
  const issues: Issue[] = [...uniqueNames(list, ["spec", "volumes"], "volume")];
  const mounts = new Map<string, number>();
  list.forEach((v, i) => {
    if (v.name === DATABASE_VOLUME) {
      issues.push({ path: ["spec", "volumes", i, "name"], message: `${quote(v.name)} is reserved for the site's database files: choose another name` });
    }
    const at = ["spec", "volumes", i, "mountPath"];
    if (v.mountPath.split("/").some((seg) => seg === "." || seg === "..")) {
      issues.push({ path: at, message: `${quote(v.mountPath)} must not contain '.' or '..' segments: write the absolute path` });
    } else if (v.mountPath === SECRETS_MOUNT || v.mountPath.startsWith(`${SECRETS_MOUNT}/`)) {
      issues.push({ path: at, message: `${quote(v.mountPath)} would hide the site's secrets, which Swarm mounts at ${SECRETS_MOUNT}` });
    } else {
      const other = mounts.get(v.mountPath);
      if (other !== undefined) issues.push({ path: at, message: `${quote(v.mountPath)} is already the mount path of spec.volumes[${other}]` });
      else mounts.set(v.mountPath, i);
    }
  });
  return issues;
}

function secrets(site: Site): Issue[] {
  const list = site.spec.secrets ?? [];
  const issues: Issue[] = [...uniqueNames(list, ["spec", "secrets"], "secret")];
  const reserved: readonly string[] = DATABASE_SECRETS;
  const mailSecrets: readonly string[] = site.spec.mail ? Object.values(MAIL_SECRETS) : [];
  list.forEach((s, i) => {
    // Kept out of the schema: a oneOf there reports both branches' errors, not this one line.
    if ((s.generate === undefined) === (s.sealed === undefined)) {
      issues.push({
        path: ["spec", "secrets", i],
        message: `secret ${quote(s.name)} needs exactly one of "generate" (a random value made by the controller) or "sealed" (a value from \`simulium seal\`)`,
      });
    }
    if (reserved.includes(s.name) && site.spec.database === undefined) {
      issues.push({
        path: ["spec", "secrets", i, "name"],
        message: `${quote(s.name)} is reserved for the database password, generated for sites with spec.database; this site has none: choose another name`,
      });
    }
    if (s.name === SSH_HOST_KEY) {
      issues.push({
        path: ["spec", "secrets", i, "name"],
        message: `${quote(s.name)} is reserved for the SSH host key simulium makes for the site's SFTP and SSH servers: choose another name`,
      });
    }
    if (mailSecrets.includes(s.name)) {
      issues.push({
        path: ["spec", "secrets", i, "name"],
        message: `${quote(s.name)} is reserved for a spec.mail password, which spec.mail itself makes a secret of this site: choose another name`,
      });
    }
  });
  return issues;
}

function uniqueNames(list: readonly { readonly name: string }[], at: readonly PathSegment[], what: string): Issue[] {
  const seen = new Map<string, number>();
  const issues: Issue[] = [];
  list.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first === undefined) seen.set(item.name, i);
    else issues.push({ path: [...at, i, "name"], message: `${what} name ${quote(item.name)} is already used by ${at.join(".")}[${first}]` });
  });
  return issues;
}

function renderedNames(site: Site): Issue[] {
  const name = site.metadata.name;
  const issues: Issue[] = [];
  // Service and network names (`<site>_web`, `<site>_default`) cannot overflow: the schema
  // caps site names at 40 characters (a unit test holds the two together).
  (site.spec.volumes ?? []).forEach((v, i) => {
    const rendered = volumeName(name, v.name);
    if (rendered.length > MAX_VOLUME_NAME) {
      issues.push({
        path: ["spec", "volumes", i, "name"],
        message: `the Swarm volume name ${quote(rendered, 100)} would be ${rendered.length} characters, over the limit of ${MAX_VOLUME_NAME}: shorten the volume or site name`,
      });
    }
  });
  (site.spec.secrets ?? []).forEach((s, i) => {
    const length = secretNameLength(name, s.name);
    if (length > MAX_SECRET_NAME) {
      issues.push({
        path: ["spec", "secrets", i, "name"],
        message: `the Swarm secret name "${name}_${s.name}-<hash>" would be ${length} characters, over the limit of ${MAX_SECRET_NAME}: shorten the secret or site name`,
      });
    }
  });
  const mail = site.spec.mail;
  const mailSecrets = mail ? [MAIL_SECRETS.smtp, ...(mail.returnPath ? [MAIL_SECRETS.bounce] : [])] : [];
  for (const secret of mailSecrets) {
    const length = secretNameLength(name, secret);
    if (length > MAX_SECRET_NAME) {
      issues.push({
        path: ["spec", "mail"],
        message: `spec.mail gives the site the secret "${name}_${secret}-<hash>", ${length} characters, over the Swarm limit of ${MAX_SECRET_NAME}: shorten the site name to at most ${name.length - (length - MAX_SECRET_NAME)} characters`,
      });
    }
  }
  if (site.spec.database !== undefined) {
    for (const secret of DATABASE_SECRETS) {
      const length = secretNameLength(name, secret);
      if (length > MAX_SECRET_NAME) {
        issues.push({
          path: ["spec", "database"],
          message: `a site with a database gets the secret "${name}_${secret}-<hash>", ${length} characters, over the Swarm limit of ${MAX_SECRET_NAME}: shorten the site name to at most ${name.length - (length - MAX_SECRET_NAME)} characters`,
        });
      }
    }
  }
  return issues;
}
