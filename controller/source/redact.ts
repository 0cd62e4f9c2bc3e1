/**
 * Userinfo in a URL (`https://user:token@host/…`) is a credential: strip it from anything
 * that may reach a log, an error or a status page. Works on free text, not just one URL.
 */
export function redactUrlUserinfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, "$1***@");
}

/** Removes URL userinfo and every literal secret (e.g. a token read from a file). */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = redactUrlUserinfo(text);
  for (const s of secrets) {
    // Very short "secrets" would shred ordinary text; real tokens are long.
    if (s.length >= 6) out = out.split(s).join("***");
  }
  return out;
}

/** True when a URL carries a password or token in its userinfo (refused: use a token file). */
export function urlHasPassword(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(url);
}
