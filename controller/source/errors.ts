import { redactSecrets } from "./redact";

/** Why a remote could not be fetched; the caller keeps the last fetched commit in force. */
export type UnreachableReason = "network" | "auth" | "host-key" | "not-found" | "branch-missing" | "timeout" | "unknown";

/**
 * The remote could not be fetched. The working tree is left at the last fetched commit,
 * so the caller keeps converging to it and must never empty the swarm because of this.
 */
export class SourceUnreachableError extends Error {
  readonly kind = "source-unreachable" as const;
  constructor(
    /** URL with any userinfo removed. */
    readonly url: string,
    readonly reason: UnreachableReason,
    detail: string,
  ) {
    super(`cannot fetch ${url} (${reason}): ${detail}${reason === "host-key" ? HOST_KEY_HINT : ""}`);
    this.name = "SourceUnreachableError";
  }
}

const HOST_KEY_HINT =
  "; the git server's SSH host key is not in the known_hosts file (or it changed): add the server's key to the file of " +
  "simulium run --known-hosts-file (e.g. from ssh-keyscan, after checking its fingerprint with the forge), or pass " +
  "--accept-new-host-keys to trust a key seen for the first time";

/** The source is configured wrongly (bad URL, unreadable credentials file): fix the config. */
export class SourceConfigError extends Error {
  readonly kind = "source-config" as const;
  constructor(message: string) {
    super(message);
    this.name = "SourceConfigError";
  }
}

/** Git's stderr, classified so the operator is told what to fix. Pure. */
export function classifyGitFailure(stderr: string): UnreachableReason {
  const s = stderr.toLowerCase();
  // Before "could not read from remote repository", which ssh prints after it too.
  if (/host key verification failed|remote host identification has changed|no .*host key is known/.test(s)) return "host-key";
  if (/couldn't find remote ref|could not find remote ref|remote ref .* not found/.test(s)) return "branch-missing";
  if (/authentication failed|permission denied|could not read username|could not read password|invalid username or password|http 401|http 403|returned error: 40[13]/.test(s)) {
    return "auth";
  }
  if (/timeout|timed out|block timeout reached/.test(s)) return "timeout";
  if (/does not appear to be a git repository|repository .* not found|not found|does not exist|no such file or directory/.test(s)) return "not-found";
  if (/could not resolve host|connection refused|network is unreachable|unable to access|could not read from remote repository|connection reset|no route to host/.test(s)) {
    return "network";
  }
  return "unknown";
}

/** The first meaningful line of git's complaint, with secrets removed, for one-line logs. */
export function gitFailureDetail(stderr: string, secrets: readonly string[] = []): string {
  const lines = redactSecrets(stderr, secrets)
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const fatal = lines.find((l) => /^(fatal|error):/i.test(l));
  return (fatal ?? lines[0] ?? "git failed").slice(0, 500);
}
