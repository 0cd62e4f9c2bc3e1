import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A self-signed key + certificate bundle for `domains`, as hitch reads it (key first), valid `days` from now. */
export function selfSignedBundle(domains: readonly string[], days = 90): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-cert-"));
  try {
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    const san = domains.map((d) => `DNS:${d}`).join(",");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", String(days), "-subj", `/CN=${domains[0]}`, "-addext", `subjectAltName=${san}`], { stdio: "ignore" });
    return `${readFileSync(key, "utf8").trim()}\n${readFileSync(cert, "utf8").trim()}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
