import { Command, InvalidArgumentError } from "commander";
import { writeFile } from "node:fs/promises";
import { loadRepo } from "../manifests/load";
import { generateKeyPair, seal } from "../sealing/age";
import { bindValue } from "../sealing/envelope";
import { identityFileText, secretEntryYaml, valueFromInput } from "../sealing/seal-input";

const SECRET_NAME = /^[a-z][a-z0-9-]{0,29}$/;
const SITE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

interface SealOptions {
  name?: string;
  site?: string;
  repo: string;
  keygen?: string;
}

/**
 * `simulium seal`: encrypts a value read from standard input to the cluster's public key
 * (simulium.yaml `spec.sealing.publicKey`), so it can be committed; only the controller,
 * which holds the private key, can decrypt it. `--keygen FILE` makes that key pair.
 */
export function register(program: Command): void {
  program
    .command("seal")
    .description("encrypt a secret value (read from standard input) for a site manifest, with the cluster's public key")
    .option("--name <secret>", "the secret's name in spec.secrets")
    .option("--site <site>", "bind the value to this site: the controller refuses it in any other site's manifest")
    .option("--repo <dir>", "manifests repository (its simulium.yaml holds spec.sealing.publicKey)", ".")
    .option("--keygen <file>", "instead: write a new private key to FILE (never overwritten) and print its public key")
    .action(async (opts: SealOptions) => {
      if (opts.keygen !== undefined) return keygen(opts.keygen);
      if (opts.name === undefined || !SECRET_NAME.test(opts.name)) {
        throw new InvalidArgumentError("--name must be a secret name: lower-case letters, digits and '-', starting with a letter, at most 30 characters");
      }
      const load = await loadRepo(opts.repo);
      if (!load.cluster) throw new Error(`simulium.yaml in ${opts.repo} is invalid: run simulium validate --repo ${opts.repo}`);
      const publicKey = load.cluster.sealing?.publicKey;
      if (!publicKey) throw new Error(`simulium.yaml in ${opts.repo} has no spec.sealing.publicKey: make a key pair with simulium seal --keygen FILE`);
      if (process.stdin.isTTY) process.stderr.write("value (end with Ctrl-D):\n");
      const value = valueFromInput(await readAll(process.stdin));
      if (value.length === 0) throw new Error("standard input is empty: pipe the value in, e.g. printf %s \"$VALUE\" | simulium seal --site SITE --name NAME");
      if (opts.site !== undefined && !SITE_NAME.test(opts.site)) throw new InvalidArgumentError("--site must be a site name (the manifest's file name without .yaml)");
      if (opts.site === undefined) process.stderr.write("warning: without --site the value is accepted in any site's manifest; pass --site SITE to bind it\n");
      const ciphertext = await seal(opts.site === undefined ? value : bindValue(value, { site: opts.site, name: opts.name }), publicKey);
      process.stdout.write(`${ciphertext}\n`);
      process.stderr.write(`add to spec.secrets of the site:\n${secretEntryYaml(opts.name, ciphertext)}\n`);
    });
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
