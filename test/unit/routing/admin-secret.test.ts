import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureVarnishSecret, hashOfValue, resolveStateDir, varnishSecretLookup, varnishSecretName, varnishSecretPath } from "../../../controller/routing/admin-secret";

describe("routing: the Varnish admin secret in the state directory", () => {
  let dir = "";
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-unit-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("generates the value once, readable by the owner only, and keeps it", () => {
    const first = ensureVarnishSecret(dir, "demo");
    const file = varnishSecretPath(dir, "demo");
    const value = readFileSync(file);
    expect(value.toString()).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureVarnishSecret(dir, "demo")).toEqual(first);
    expect(readFileSync(file)).toEqual(value);
    expect(first.hash).toBe(hashOfValue(value));
    expect(first.hash).toMatch(/^[0-9a-f]{10}$/);
    expect(first.hash).not.toContain(value.toString().slice(0, 10));
  });

  it("rotates when an operator replaces the file: a new hash, a new secret name", () => {
    const before = ensureVarnishSecret(dir, "demo");
    writeFileSync(varnishSecretPath(dir, "demo"), "a new value\n");
    const after = ensureVarnishSecret(dir, "demo");
    expect(after.hash).not.toBe(before.hash);
    expect(varnishSecretName("demo", after.hash)).toBe(`demo_varnish-secret-${after.hash}`);
  });

  it("gives apply the value only for the secret named after the current value", () => {
    const { hash } = ensureVarnishSecret(dir, "demo");
    const lookup = varnishSecretLookup(dir, "demo");
    expect(lookup(varnishSecretName("demo", hash))).toEqual(readFileSync(varnishSecretPath(dir, "demo")));
    expect(lookup(varnishSecretName("demo", "0000000000"))).toBeUndefined();
  });

  it("keeps instances apart", () => {
    expect(ensureVarnishSecret(dir, "a").hash).not.toBe(ensureVarnishSecret(dir, "b").hash);
  });

  it("takes --state-dir, else SIMULIUM_STATE_DIR, else /var/lib/simulium", () => {
    const saved = process.env.SIMULIUM_STATE_DIR;
    try {
      delete process.env.SIMULIUM_STATE_DIR;
      expect(resolveStateDir()).toBe("/var/lib/simulium");
      process.env.SIMULIUM_STATE_DIR = "/srv/state";
      expect(resolveStateDir()).toBe("/srv/state");
      expect(resolveStateDir("/opt/x")).toBe("/opt/x");
    } finally {
      if (saved === undefined) delete process.env.SIMULIUM_STATE_DIR;
      else process.env.SIMULIUM_STATE_DIR = saved;
    }
  });
});
