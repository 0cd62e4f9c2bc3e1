import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ensureSecretFile } from "../apply/secret-value";
import { names, SECRET_HASH_LENGTH } from "../desired/names";

/**
 * The Varnish admin secret. Swarm secrets cannot be read back, yet the controller must
 * authenticate to every varnishd: so the value lives in the controller's state directory and
 * the Swarm secret is made from it. Its name carries a hash of the value (never the value),
 * so replacing the file rotates the secret like any other.
 */
export const DEFAULT_STATE_DIR = "/var/lib/simulium";
export const VARNISH_SECRET_LOGICAL = "varnish-secret";
const SECRET_LENGTH = 43;

export interface VarnishSecretRef {
  /** Hash of the value, for the versioned Swarm secret name. */
  readonly hash: string;
}

/** --state-dir, else SIMULIUM_STATE_DIR, else /var/lib/simulium. */
export function resolveStateDir(option?: string): string {
  return option ?? process.env.SIMULIUM_STATE_DIR ?? DEFAULT_STATE_DIR;
}

export function varnishSecretPath(stateDir: string, instance: string): string {
  return path.join(stateDir, instance, VARNISH_SECRET_LOGICAL);
}

/** Creates the secret file (CSPRNG, mode 0600) unless it exists; returns the hash of its value. */
export function ensureVarnishSecret(stateDir: string, instance: string): VarnishSecretRef {
  return { hash: hashOfValue(ensureSecretFile(varnishSecretPath(stateDir, instance), SECRET_LENGTH)) };
}

/** The exact bytes varnishd reads with -S (no trimming: a trailing newline is part of it). */
export function readVarnishSecret(stateDir: string, instance: string): Buffer {
  return readFileSync(varnishSecretPath(stateDir, instance));
}

export function hashOfValue(value: Buffer): string {
  return createHash("sha256").update(value).digest("hex").slice(0, SECRET_HASH_LENGTH);
}

/**
 * The narrow lookup apply uses to create a secret with a given value: only the Swarm secret
 * whose name matches the file's current value gets it.
 */
export function varnishSecretLookup(stateDir: string, instance: string): (name: string) => Buffer | undefined {
  return (name) => {
    const value = readVarnishSecret(stateDir, instance);
    return varnishSecretName(instance, hashOfValue(value)) === name ? value : undefined;
  };
}

/** The Swarm secret name render gives the admin secret (same scheme as site secrets). */
export function varnishSecretName(instance: string, hash: string): string {
  return names.secret(instance, VARNISH_SECRET_LOGICAL, hash);
}
