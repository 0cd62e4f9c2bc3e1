import { Command } from "commander";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { register } from "../../../controller/cli/seal";
import { unseal } from "../../../controller/sealing/age";
import { openEnvelope } from "../../../controller/sealing/envelope";
import { readIdentity } from "../../../controller/sealing/key-file";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-seal-"));
  mkdirSync(path.join(dir, "sites"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `simulium seal` in-process with `input` on standard input. */
async function seal(args: string[], input = ""): Promise<{ out: string; err: string }> {
  const program = new Command().exitOverride();
  register(program);
  let out = "";
  let err = "";
  const o = jest.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = jest.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  const stdin = Object.getOwnPropertyDescriptor(process, "stdin")!;
  Object.defineProperty(process, "stdin", { value: Readable.from([Buffer.from(input)]), configurable: true });
  try {
    await program.parseAsync(["node", "simulium", "seal", ...args]);
  } finally {
    Object.defineProperty(process, "stdin", stdin);
    o.mockRestore();
    e.mockRestore();
  }
  return { out, err };
}

describe("simulium seal", () => {
  it("makes a key pair, then seals with the public key alone what the private key opens", async () => {
    const keyFile = path.join(dir, "key.txt");
    const recipient = (await seal(["--keygen", keyFile])).out.trim();
    expect(recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await expect(seal(["--keygen", keyFile])).rejects.toThrow(/EEXIST/);

    writeFileSync(path.join(dir, "simulium.yaml"), `apiVersion: simulium/v1\nkind: Cluster\nspec:\n  sealing: {publicKey: ${recipient}}\n`);
    // Unbound values are refused by the controller: seal never makes one.
    await expect(seal(["--name", "smtp-password", "--repo", dir], "s3cret value\n")).rejects.toThrow(/--site SITE or --cluster/);
    await expect(seal(["--site", "acme", "--cluster", "--name", "x", "--repo", dir], "v")).rejects.toThrow(/either --site or --cluster/);

    const bound = await seal(["--site", "acme", "--name", "smtp-password", "--repo", dir], "s3cret value\n");
    const ciphertext = bound.out.trim();
    expect(bound.err).toContain(`  - {name: smtp-password, sealed: "${ciphertext}"}`);
    expect(bound.out + bound.err).not.toContain("s3cret");
    expect(readFileSync(keyFile, "utf8")).toContain(`# public key: ${recipient}`);
    expect(openEnvelope(await unseal(ciphertext, await readIdentity(keyFile)))).toEqual({ value: Buffer.from("s3cret value"), scope: { site: "acme", name: "smtp-password" } });
    await expect(seal(["--site", "Not A Site", "--name", "x", "--repo", dir], "v")).rejects.toThrow(/--site must be a site name/);

    // Cluster settings: the restic password and the backup environment (upper-case names).
    const restic = await seal(["--cluster", "--name", "restic-password", "--repo", dir], "r3stic\n");
    expect(restic.err).toContain(`password: {sealed: "${restic.out.trim()}"}`);
    expect(openEnvelope(await unseal(restic.out.trim(), await readIdentity(keyFile)))).toEqual({ value: Buffer.from("r3stic"), scope: { cluster: true, name: "restic-password" } });
    const env = await seal(["--cluster", "--name", "AWS_SECRET_ACCESS_KEY", "--repo", dir], "k3y");
    expect(env.err).toContain(`AWS_SECRET_ACCESS_KEY: {sealed: "${env.out.trim()}"}`);
    await expect(seal(["--cluster", "--name", "bad name", "--repo", dir], "v")).rejects.toThrow(/--name with --cluster/);
  });

  it("refuses without a public key, a bad name or an empty value", async () => {
    writeFileSync(path.join(dir, "simulium.yaml"), "apiVersion: simulium/v1\nkind: Cluster\nspec: {}\n");
    await expect(seal(["--site", "acme", "--name", "x", "--repo", dir], "v")).rejects.toThrow(/no spec.sealing.publicKey: make a key pair with simulium seal --keygen FILE/);
    await expect(seal(["--site", "acme", "--name", "Bad_Name", "--repo", dir], "v")).rejects.toThrow(/--name must be a secret name/);
    writeFileSync(path.join(dir, "simulium.yaml"), "apiVersion: simulium/v1\nkind: Cluster\nspec: {sealing: {publicKey: age1yn37e34nsskfkfvs524cgalzhmmgcaw34dzhg9zu3f520mt0hcfqcud2eh}}\n");
    await expect(seal(["--site", "acme", "--name", "x", "--repo", dir], "\n")).rejects.toThrow(/standard input is empty/);
  });
});
