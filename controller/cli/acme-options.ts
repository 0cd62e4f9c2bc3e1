import { Command, InvalidArgumentError, Option } from "commander";
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import type { AcmeControllerOptions } from "../tls/renew";

/**
 * The ACME settings only the operator gives (docs/tls.md): the DNS-01 hook is a command the
 * controller runs and the external account's HMAC key is a secret file, so both are flags (or
 * their environment variables) of `simulium run` and `simulium apply`, the two controllers that
 * may order, and never fields of simulium.yaml, which a manifests commit can change (issue 15).
 */
export interface AcmeCliOptions {
  acmeDnsHook?: string;
  acmeDnsPropagationSeconds: string;
  acmeEabKid?: string;
  acmeEabHmacKeyFile?: string;
}

/** One run of the hook; a DNS API slower than this is broken, not slow. */
export const DNS_HOOK_TIMEOUT_SECONDS = 120;

export function withAcmeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--acme-dns-hook <file>", "executable that publishes and removes DNS-01 TXT records: FILE present|cleanup DOMAIN VALUE (docs/tls.md)").env("SIMULIUM_ACME_DNS_HOOK"))
    .addOption(new Option("--acme-dns-propagation-seconds <n>", "wait between publishing the TXT records and asking the CA to look").env("SIMULIUM_ACME_DNS_PROPAGATION_SECONDS").default("60"))
    .addOption(new Option("--acme-eab-kid <id>", "external account binding key id (ZeroSSL, Google), with --acme-eab-hmac-key-file").env("SIMULIUM_ACME_EAB_KID"))
    .addOption(new Option("--acme-eab-hmac-key-file <file>", "file holding the external account binding's HMAC key (base64url, as the CA gives it)").env("SIMULIUM_ACME_EAB_HMAC_KEY_FILE"));
}

/** The flags, checked: a missing or non-executable hook, or half an external account, stops the command before anything runs. */
export function acmeControllerOptions(o: AcmeCliOptions): AcmeControllerOptions {
  const wait = o.acmeDnsPropagationSeconds;
  if (!/^\d+$/.test(wait) || Number(wait) > 3600) throw new InvalidArgumentError(`--acme-dns-propagation-seconds takes whole seconds up to 3600, not "${wait}"`);
  if ((o.acmeEabKid === undefined) !== (o.acmeEabHmacKeyFile === undefined)) throw new InvalidArgumentError("--acme-eab-kid and --acme-eab-hmac-key-file go together");
  if (o.acmeEabKid !== undefined && !/^[A-Za-z0-9_.:-]{1,256}$/.test(o.acmeEabKid)) throw new InvalidArgumentError("--acme-eab-kid: letters, digits and _.:- only, as the CA gives it");
  const out: { -readonly [K in keyof AcmeControllerOptions]: AcmeControllerOptions[K] } = {};
  if (o.acmeDnsHook !== undefined) {
    const command = path.resolve(o.acmeDnsHook);
    usable(command, "--acme-dns-hook", constants.X_OK, "an executable file");
    out.dnsHook = { command, propagationSeconds: Number(wait), timeoutSeconds: DNS_HOOK_TIMEOUT_SECONDS };
  }
  if (o.acmeEabKid !== undefined && o.acmeEabHmacKeyFile !== undefined) {
    const hmacKeyFile = path.resolve(o.acmeEabHmacKeyFile);
    usable(hmacKeyFile, "--acme-eab-hmac-key-file", constants.R_OK, "a readable file");
    out.eab = { kid: o.acmeEabKid, hmacKeyFile };
  }
  return out;
}

function usable(file: string, flag: string, mode: number, what: string): void {
  try {
    if (!statSync(file).isFile()) throw new Error("not a file");
    accessSync(file, mode);
  } catch {
    throw new InvalidArgumentError(`${flag} ${file}: not ${what}`);
  }
}
