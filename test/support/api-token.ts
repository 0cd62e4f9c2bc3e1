import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";

/**
 * A bearer token for a daemon under test (`apiTokenFile`), written into the test's own
 * directory (removed with it), and the header that /status and /metrics require.
 */
export function writeApiToken(dir: string): { readonly file: string; readonly headers: Readonly<Record<string, string>> } {
  const token = randomBytes(24).toString("hex");
  const file = path.join(dir, "api-token");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { file, headers: { Authorization: `Bearer ${token}` } };
}
