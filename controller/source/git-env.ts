/**
 * How git authenticates, decided from files only: a secret never goes on a command line,
 * into a remote URL (and so .git/config) or into a log. Pure: builds env and script text.
 */
export interface GitCredentials {
  /** Private SSH deploy key (read by ssh, never by simulium). */
  readonly sshKeyFile?: string;
  /** known_hosts to trust (`--known-hosts-file`); without it ssh's own known_hosts files. */
  readonly knownHostsFile?: string;
  /**
   * Trust a host key seen for the first time and pin it (`--accept-new-host-keys`). Off by
   * default: on first use a man in the middle would be trusted, and the repository it serves
   * decides what runs on the swarm.
   */
  readonly acceptNewHostKeys?: boolean;
  /** File holding an HTTPS access token (GitHub/Gitea/Forgejo/GitLab personal or deploy token). */
  readonly tokenFile?: string;
  /** User name offered with the token; forges ignore it for tokens but git asks. */
  readonly username?: string;
}

/** Environment variables simple-git must be allowed to pass through (it strips GIT_* by default). */
export const GIT_ENV_KEYS = ["GIT_SSH_COMMAND", "GIT_ASKPASS", "GIT_TERMINAL_PROMPT"] as const;

/** Quotes one word for /bin/sh, which is how git runs GIT_SSH_COMMAND. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function sshCommand(keyFile: string, hostKeys: { readonly knownHostsFile?: string; readonly acceptNewHostKeys?: boolean } = {}): string {
  const parts = [
    "ssh",
    "-i",
    shellQuote(keyFile),
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    `StrictHostKeyChecking=${hostKeys.acceptNewHostKeys ? "accept-new" : "yes"}`,
    // A daemon has nobody to answer a passphrase or password prompt: fail instead of hanging.
    "-o",
    "BatchMode=yes",
  ];
  if (hostKeys.knownHostsFile) parts.push("-o", shellQuote(`UserKnownHostsFile=${hostKeys.knownHostsFile}`));
  return parts.join(" ");
}

/**
 * git calls GIT_ASKPASS with its prompt as $1 ("Username for …", "Password for …").
 * The script reads the token file at that moment, so the token lives only in that file.
 */
export function askpassScript(tokenFile: string, username = "git"): string {
  return [
    "#!/bin/sh",
    "# Written by simulium: answers git's HTTPS prompts from a file so the token is never in argv or .git/config.",
    'case "$1" in',
    `  Username*|username*) printf '%s\\n' ${shellQuote(username)} ;;`,
    `  *) cat ${shellQuote(tokenFile)} ;;`,
    "esac",
    "",
  ].join("\n");
}

export function gitEnv(credentials: GitCredentials, askpassPath?: string): Record<string, string> {
  // Never block on a terminal prompt; English messages so failures can be classified.
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" };
  if (credentials.sshKeyFile) env.GIT_SSH_COMMAND = sshCommand(credentials.sshKeyFile, credentials);
  if (credentials.tokenFile && askpassPath) env.GIT_ASKPASS = askpassPath;
  return env;
}
