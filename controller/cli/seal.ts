import { TLS_KEY_SEAL_NAME } from "../manifests/types";
import { Command, InvalidArgumentError } from "commander";
import { writeFile } from "node:fs/promises";
import { loadRepo } from "../manifests/load";
import { generateKeyPair, seal } from "../sealing/age";
import { bindValue, sealCommand, SealScope } from "../sealing/envelope";
import { RESTIC_PASSWORD_SETTING } from "../sealing/unseal-cluster";
import { identityFileText, secretEntryYaml, valueFromInput } from "../sealing/seal-input";

const SECRET_NAME = /^[a-z][a-z0-9-]{0,29}$/;
const SITE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A cluster setting: `restic-password`, or an environment variable of spec.backup.env. */
const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

interface SealOptions {
  name?: string;
  site?: string;
  cluster?: boolean;
  repo: string;
  keygen?: string;
}

/**
 * `simulium seal`: encrypts a value read from standard input to the cluster's public key
 * (simulium.yaml `spec.sealing.publicKey`), so it can be committed; only the controller,
 * which holds the private key, can decrypt it. Every value is bound to where it belongs (a
 * site's secret, or a setting of simulium.yaml): the controller refuses it anywhere else.
 * `--keygen FILE` makes that key pair.
 */
export function register(program: Command): void {
  program
    .command("seal")
    .description("encrypt a secret value (read from standard input) for one site's secret or one cluster setting, with the cluster's public key")
    .addHelpText("after", "\nExample:\n  $ printf %s \"$SMTP_PASSWORD\" | simulium seal --site acme --name smtp-password --repo ~/sites\n")
    .option("--name <secret>", "the secret's name in spec.secrets (spec.mail: smtp-password, bounce-password); with --cluster: restic-password or a spec.backup.env variable")
    .option("--site <site>", "bind the value to this site: the controller refuses it in any other place")
    .option("--cluster", "bind the value to a setting of simulium.yaml (spec.backup.password, spec.backup.env): no site can use it")
    .option("--repo <dir>", "manifests repository (its simulium.yaml holds spec.sealing.publicKey)", ".")
    .option("--keygen <file>", "instead: write a new private key to FILE (never overwritten) and print its public key")
    .action(async (opts: SealOptions) => {
      if (opts.keygen !== undefined) return keygen(opts.keygen);
      const scope = scopeOf(opts);
      const load = await loadRepo(opts.repo);
      if (!load.cluster) throw new Error(`simulium.yaml in ${opts.repo} is invalid: run simulium validate --repo ${opts.repo}`);
      const publicKey = load.cluster.sealing?.publicKey;
      if (!publicKey) throw new Error(`simulium.yaml in ${opts.repo} has no spec.sealing.publicKey: make a key pair with simulium seal --keygen FILE`);
      if (process.stdin.isTTY) process.stderr.write("value (end with Ctrl-D):\n");
      const value = valueFromInput(await readAll(process.stdin));
      if (value.length === 0) throw new Error(`standard input is empty: pipe the value in, e.g. printf %s "$VALUE" | ${sealCommand(scope)}`);
      const ciphertext = await seal(bindValue(value, scope), publicKey);
      process.stdout.write(`${ciphertext}\n`);
      process.stderr.write("site" in scope ? siteHint(scope.site, scope.name, ciphertext) : clusterHint(scope.name, ciphertext));
    });
}

/** Where the value may be used; an unbound value would be accepted nowhere. */
function scopeOf(opts: SealOptions): SealScope {
  if (opts.site !== undefined && opts.cluster) throw new InvalidArgumentError("either --site or --cluster: a value is bound to one place");
  if (opts.cluster) {
    if (opts.name === undefined || !CLUSTER_NAME.test(opts.name)) {
      throw new InvalidArgumentError("--name with --cluster must be restic-password (spec.backup.password) or an environment variable name of spec.backup.env");
    }
    return { cluster: true, name: opts.name };
  }
  if (opts.site === undefined) {
    throw new InvalidArgumentError("pass --site SITE or --cluster: the controller accepts a sealed value only where it was sealed for (simulium seal --site SITE --name NAME)");
  }
  if (!SITE_NAME.test(opts.site)) throw new InvalidArgumentError("--site must be a site name (the manifest's file name without .yaml)");
  if (opts.name === undefined || !SECRET_NAME.test(opts.name)) {
    throw new InvalidArgumentError("--name must be a secret name: lower-case letters, digits and '-', starting with a letter, at most 30 characters");
  }
  return { site: opts.site, name: opts.name };
}

function siteHint(site: string, name: string, ciphertext: string): string {
  // The key of a site's own certificate goes to spec.tls, never to spec.secrets (which the web service gets).
  if (name === TLS_KEY_SEAL_NAME) return `add to spec.tls.certificate of site ${site}:\n  key: {sealed: "${ciphertext}"}\n`;
  return `add to spec.secrets of site ${site}:\n${secretEntryYaml(name, ciphertext)}\n`;
}

function clusterHint(name: string, ciphertext: string): string {
  if (name === RESTIC_PASSWORD_SETTING) return `add to spec.backup of simulium.yaml:\n  password: {sealed: "${ciphertext}"}\n`;
  return `add to spec.backup.env of simulium.yaml:\n  ${name}: {sealed: "${ciphertext}"}\n`;
}

async function keygen(file: string): Promise<void> {
  const pair = await generateKeyPair();
  // "wx": an existing key is never replaced (every sealed value depends on it); 0600: only
  // its owner reads it.
  await writeFile(file, identityFileText(pair.identity, pair.recipient, new Date()), { flag: "wx", mode: 0o600 });
  process.stdout.write(`${pair.recipient}\n`);
  process.stderr.write(`private key written to ${file}; give it to the controller (--sealing-key-file) and add to simulium.yaml:\n  sealing: {publicKey: ${pair.recipient}}\n`);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
