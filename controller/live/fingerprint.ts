import { shortHash } from "../desired/hash";
import type { ServiceShape } from "../desired/types";
import type { ApiContainerSpec } from "../engine/api-types";
import { parseEnv } from "./normalize";

/**
 * What a task runs, reduced to what simulium sets on its container. A task whose fingerprint
 * equals the desired one runs the current spec; comparing images alone would call an
 * env-only update converged while the old tasks still run.
 */
export function containerFingerprint(c: {
  image: string;
  env: Readonly<Record<string, string>>;
  args: readonly string[] | null;
  secrets: readonly string[];
  mounts: readonly string[];
}): string {
  return shortHash({
    // The full reference, digest included: simulium sets it verbatim, so tasks created from
    // its spec carry exactly that string, and a digest-only change (img:tag@A → img:tag@B)
    // must not count old tasks as current.
    image: c.image,
    env: c.env,
    args: c.args && c.args.length > 0 ? c.args : null,
    secrets: [...c.secrets].sort(),
    mounts: [...c.mounts].sort(),
  });
}

export function fingerprintOfShape(s: ServiceShape): string {
  return containerFingerprint({
    image: s.image,
    env: s.env,
    args: s.args,
    secrets: s.secrets.map((r) => r.secretName),
    mounts: s.mounts.map((m) => `${m.source}:${m.target}`),
  });
}

export function fingerprintOfContainer(c: ApiContainerSpec | undefined): string {
  return containerFingerprint({
    image: c?.Image ?? "",
    env: parseEnv(c?.Env ?? []),
    args: c?.Args ?? null,
    secrets: (c?.Secrets ?? []).map((s) => s.SecretName ?? ""),
    mounts: (c?.Mounts ?? []).map((m) => `${m.Source ?? ""}:${m.Target ?? ""}`),
  });
}
