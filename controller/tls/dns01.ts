import { execFile } from "node:child_process";
import { KnownSecret, MIN_REDACTED_LENGTH, redactKnown } from "../jobs/redact-output";

/**
 * DNS-01 through the operator's hook (docs/tls.md, "DNS-01"): a command on the controller's
 * host, named by a controller flag only (never by the manifests repository: it runs with the
 * controller's rights, issue 15), that publishes or removes one TXT record. It is called like
 * certbot's manual hooks and lego's exec provider, with arguments and environment:
 *
 *   HOOK present|cleanup <domain> <value>
 *   SIMULIUM_DNS_ACTION=present|cleanup  SIMULIUM_DNS_DOMAIN=<domain>
 *   SIMULIUM_DNS_RECORD=_acme-challenge.<domain>  SIMULIUM_DNS_VALUE=<value>
 *
 * `present` exits 0 once the record is published (several values may share one record: a name
 * and its wildcard); the controller then waits `propagationSeconds` before asking the CA to
 * look. `cleanup` removes that value.
 */
export interface DnsHook {
  /** Absolute path of an executable. */
  readonly command: string;
  /** Seconds between the last `present` and asking the CA to validate (secondary servers, caches). */
  readonly propagationSeconds: number;
  /** One run's time limit. */
  readonly timeoutSeconds: number;
}

export type DnsAction = "present" | "cleanup";

/** At most this much of the hook's output goes into an error (the tail, where the reason is). */
const OUTPUT_TAIL = 500;

export class DnsHookError extends Error {
  constructor(
    readonly action: DnsAction,
    readonly domain: string,
    detail: string,
  ) {
    super(`the DNS hook's ${action} for ${dnsRecordName(domain)} failed: ${detail}`);
  }
}

/** The TXT record DNS-01 validates for an identifier (a wildcard's is its parent's, RFC 8555 §8.4). */
export function dnsRecordName(domain: string): string {
  return `_acme-challenge.${domain.replace(/^\*\./, "")}`;
}

/** The hook's arguments and the variables added to the controller's environment. Pure. */
export function hookInvocation(action: DnsAction, domain: string, value: string): { readonly args: string[]; readonly env: Record<string, string> } {
  const bare = domain.replace(/^\*\./, "");
  return {
    args: [action, bare, value],
    env: { SIMULIUM_DNS_ACTION: action, SIMULIUM_DNS_DOMAIN: bare, SIMULIUM_DNS_RECORD: dnsRecordName(bare), SIMULIUM_DNS_VALUE: value },
  };
}

/** Runs the hook once (no shell); resolves when it exits 0, else a DnsHookError with its exit status and the tail of its output. */
export function runDnsHook(hook: DnsHook, action: DnsAction, domain: string, value: string): Promise<void> {
  const { args, env } = hookInvocation(action, domain, value);
  return new Promise((resolve, reject) => {
    // host-program: sh (the operator's --acme-dns-hook; the tests' hooks are sh scripts calling curl)
    execFile(hook.command, args, { env: { ...process.env, ...env }, timeout: hook.timeoutSeconds * 1000, killSignal: "SIGKILL", maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err === null) return resolve();
      // The reason is on stderr when the hook writes one; its stdout (API answers) only otherwise.
      const output = (stderr.trim() !== "" ? stderr : stdout).trim();
      // The hook inherits the controller's environment, where operators keep their DNS API
      // credentials; a hook that echoes its request must not put them in a status or a log.
      const clean = redactKnown(output, credentialValues(process.env));
      const tail = clean.length > OUTPUT_TAIL ? `…${clean.slice(-OUTPUT_TAIL)}` : clean;
      const how = err.killed ? `killed after ${hook.timeoutSeconds} s` : typeof err.code === "number" ? `exit ${err.code}` : err.message;
      reject(new DnsHookError(action, domain, tail === "" ? how : `${how}: ${tail}`));
    });
  });
}

/** Parts of a variable's name that say its value is a credential (CLOUDFLARE_API_TOKEN, AWS_SECRET_ACCESS_KEY, GANDI_PAT). */
const CREDENTIAL_WORDS = new Set(["TOKEN", "SECRET", "PASS", "PASSWORD", "PASSWD", "PASSPHRASE", "KEY", "APIKEY", "AUTH", "CREDENTIAL", "CREDENTIALS", "PAT", "PRIVATE"]);

/** The environment's values that are credentials by their variable's name and long enough to be one. Pure. */
export function credentialValues(env: Readonly<Record<string, string | undefined>>): KnownSecret[] {
  const out: KnownSecret[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.length < MIN_REDACTED_LENGTH) continue;
    if (name.toUpperCase().split(/[^A-Z0-9]+/).some((word) => CREDENTIAL_WORDS.has(word))) out.push({ name, value });
  }
  return out;
}
