import { createHash, randomBytes } from "node:crypto";
import { jobFromService } from "../apply/job-service";
import { JOB_ROLE, LABEL } from "../desired/labels";
import type { ApiServiceSpec } from "../engine/api-types";
import type { LiveTask } from "../live/types";
import { TLS_CERT_DIR } from "./render";

/**
 * Certificates reach hitch's running tasks without a restart (docs/tls.md): a short Swarm job
 * per node that runs hitch tasks, in hitch's image, mounting the certificate secrets and the
 * node's certificate directory (the tmpfs volume hitch's tasks mount, tls/render.ts). It
 * copies the secrets in (each file written beside and renamed: hitch never reads half a key),
 * removes the sites no longer served, then writes the generation; hitch's entrypoint
 * (harness/images/tls) sees the new generation within a second, sends hitch SIGHUP (new
 * workers with the new certificates, open connections finish on the old ones) and writes it
 * back as `.loaded`, which the job waits for. This file is pure; deliver-run.ts runs it.
 */

/**
 * Arguments: the generation, then the certificate files (their names under /run/secrets and
 * in the directory). One line on stdout: `simulium-tls delivered <generation>` or
 * `simulium-tls error <message>`. SECRETS_DIR and CERT_DIR only for its tests.
 */
export const DELIVER_SCRIPT = `
set -u
gen="$1"; shift
src="\${SECRETS_DIR:-/run/secrets}"; dir="\${CERT_DIR:-${TLS_CERT_DIR}}"
umask 077
for f in "$@"; do
  if ! cp "$src/$f" "$dir/.$f.tmp" || ! mv -f "$dir/.$f.tmp" "$dir/$f"; then echo "simulium-tls error cannot write $f"; exit 1; fi
done
for path in "$dir"/*.pem; do
  [ -e "$path" ] || continue
  name="\${path##*/}"; keep=0
  for f in "$@"; do [ "$f" = "$name" ] && keep=1; done
  [ "$keep" = 1 ] || rm -f "$path"
done
printf '%s\\n' "$gen" > "$dir/.generation.tmp" && mv -f "$dir/.generation.tmp" "$dir/.generation"
# hitch's entrypoint looks once a second; a task still waiting for its first certificates starts hitch first.
tries=0
until [ "$(cat "$dir/.loaded" 2>/dev/null)" = "$gen" ]; do
  tries=$((tries + 1))
  if [ "$tries" -ge "\${WAIT_TRIES:-60}" ]; then echo "simulium-tls error hitch did not reload within \${WAIT_TRIES:-60} tries (is the image's entrypoint hitch-entrypoint?)"; exit 1; fi
  sleep 0.25
done
echo "simulium-tls delivered $gen"
`;

/** A certificate secret as the job mounts it. */
export interface DeliveredCert {
  readonly secretId: string;
  readonly secretName: string;
  /** Its file name in the certificate directory (names.tlsCertTarget). */
  readonly target: string;
}

/** What the controller last delivered (tls/delivered.json): a cache, so a pass that changed nothing runs no job. */
export interface DeliveryRecord {
  readonly generation: string;
  /** The hitch tasks that reloaded it. */
  readonly tasks: readonly string[];
}

/** The set of certificates, named by their content-named secrets: any change is a new generation. Pure. */
export function certGeneration(secretNames: readonly string[]): string {
  return createHash("sha256").update([...secretNames].sort().join("\n")).digest("hex").slice(0, 12);
}

/**
 * The running hitch tasks that do not have this generation, by node (one job per node: the
 * volume is the node's). A task the record does not name (a new task, a restarted one) gets
 * it; a pending or stopping task does not. Pure.
 */
export function deliveryTargets(tasks: readonly LiveTask[], record: DeliveryRecord | undefined, generation: string): Map<string, string[]> {
  const done = new Set(record?.generation === generation ? record.tasks : []);
  const byNode = new Map<string, string[]>();
  for (const t of tasks) {
    if (t.state !== "running" || t.desiredState !== "running" || t.nodeId === null || done.has(t.id)) continue;
    byNode.set(t.nodeId, [...(byNode.get(t.nodeId) ?? []), t.id]);
  }
  return byNode;
}

/**
 * The delivery job for one node: hitch's image and certificate volume (as the service runs
 * them), the certificate secrets root-only, no network, no port, pinned to the node. Pure.
 */
export function deliveryJobSpec(hitch: ApiServiceSpec, certs: readonly DeliveredCert[], nodeId: string, generation: string, deadline: Date): ApiServiceSpec {
  const template = hitch.TaskTemplate ?? {};
  const container = template.ContainerSpec ?? {};
  const instance = hitch.Labels?.[LABEL.instance];
  if (instance === undefined) throw new Error(`internal: ${hitch.Name ?? "the TLS service"} has no instance label`);
  const labels = { [LABEL.instance]: instance };
  const source: ApiServiceSpec = {
    Name: hitch.Name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: container.Image,
        Env: [],
        Mounts: (container.Mounts ?? []).filter((m) => m.Target === TLS_CERT_DIR),
        Secrets: certs.map((c) => ({ File: { Name: c.target, UID: "0", GID: "0", Mode: 0o400 }, SecretID: c.secretId, SecretName: c.secretName })),
      },
      Networks: [],
      // Where hitch's task runs, its image is there: no pull needed.
      Placement: { Constraints: [`node.id==${nodeId}`] },
    },
  };
  const name = `${hitch.Name ?? instance}-deliver-${randomBytes(3).toString("hex")}`;
  return jobFromService(source, { ...labels, [LABEL.role]: JOB_ROLE }, name, [generation, ...certs.map((c) => c.target)], deadline, ["sh", "-c", DELIVER_SCRIPT, "deliver"]);
}

/** The job's output → null when delivered, else why not. Pure. */
export function deliveryError(output: string, generation: string): string | null {
  const lines = output.split("\n").map((l) => l.trim());
  if (lines.includes(`simulium-tls delivered ${generation}`)) return null;
  const said = lines.find((l) => l.startsWith("simulium-tls error "));
  return said !== undefined ? said.slice("simulium-tls error ".length) : `the delivery job said nothing: ${lines.filter((l) => l !== "").slice(-3).join(" | ") || "(no output)"}`;
}
