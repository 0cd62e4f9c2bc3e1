import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LABEL } from "../../../controller/desired/labels";
import type { LiveSecret } from "../../../controller/live/types";
import { controllerSecret, hashOfValue } from "../../../controller/state/controller-secret";
import { ReadOnlyStateError, StateMissingError } from "../../../controller/state/errors";
import { resolveStateDir, StateStore } from "../../../controller/state/store";

let dir = "";
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-unit-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rw = (instance = "demo") => new StateStore(dir, instance, "read-write");
const ro = (instance = "demo") => new StateStore(dir, instance, "read-only");
const liveSecret = (logical: string, hash: string, instance = "demo"): LiveSecret => ({
  kind: "secret",
  id: `id-${hash}`,
  name: `${instance}_${logical}-${hash}`,
  site: null,
  labels: { [LABEL.instance]: instance, [LABEL.secret]: logical, [LABEL.specHash]: hash },
});

describe("state: controller secrets", () => {
  it("are generated once, readable by the owner only, and kept", () => {
    const first = controllerSecret(rw(), "varnish-secret", []);
    if (first.state !== "known") throw new Error("not generated");
    const file = path.join(dir, "demo", "varnish-secret");
    expect(readFileSync(file, "utf8")).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, "demo")).mode & 0o777).toBe(0o700);
    expect(controllerSecret(rw(), "varnish-secret", [liveSecret("varnish-secret", first.hash)])).toEqual(first);
    expect(first.hash).toBe(hashOfValue(first.value));
    expect(first.hash).not.toContain(first.value.toString().slice(0, 10));
  });

  it("a read-only command writes nothing: a value not made yet is reported as new", () => {
    expect(controllerSecret(ro(), "restic-password", [])).toEqual({ state: "new" });
    expect(readdirSync(dir)).toEqual([]);
    expect(() => ro().createOnce("restic-password", "x")).toThrow(ReadOnlyStateError);
  });

  it("fails closed when the swarm has the secret and the state directory does not (lost or another --state-dir)", () => {
    for (const store of [ro(), rw()]) {
      for (const name of ["varnish-secret", "restic-password"] as const) {
        expect(() => controllerSecret(store, name, [liveSecret(name, "0123456789")])).toThrow(StateMissingError);
      }
    }
    expect(() => controllerSecret(rw(), "restic-password", [liveSecret("restic-password", "0123456789")])).toThrow(/every existing backup would become unreadable.*simulium state recover/);
    // Nothing was generated in its place.
    expect(readdirSync(dir)).toEqual([]);
  });

  it("never rotates implicitly: a file that differs from the swarm's secret (another controller, an old copy) is refused unless asked", () => {
    mkdirSync(path.join(dir, "demo"), { recursive: true });
    writeFileSync(path.join(dir, "demo", "restic-password"), "another value");
    writeFileSync(path.join(dir, "demo", "varnish-secret"), "another value");
    expect(() => controllerSecret(rw(), "restic-password", [liveSecret("restic-password", "0123456789")])).toThrow(/--accept-restic-password-change/);
    expect(() => controllerSecret(ro(), "varnish-secret", [liveSecret("varnish-secret", "0123456789")])).toThrow(/--rotate-varnish-secret/);
    const accepted = controllerSecret(rw(), "restic-password", [liveSecret("restic-password", "0123456789")], { acceptChange: true });
    expect(accepted).toMatchObject({ state: "known", hash: hashOfValue(Buffer.from("another value")) });
    expect(controllerSecret(rw(), "varnish-secret", [liveSecret("varnish-secret", "0123456789")], { acceptChange: true })).toMatchObject({ state: "known" });
  });

  it("keeps instances apart, and ignores site secrets of the same name", () => {
    const a = controllerSecret(rw("a"), "varnish-secret", []);
    const b = controllerSecret(rw("b"), "varnish-secret", []);
    expect(a).not.toEqual(b);
    const siteOwned = { ...liveSecret("varnish-secret", "0123456789", "c"), site: "acme" };
    expect(controllerSecret(rw("c"), "varnish-secret", [siteOwned]).state).toBe("known");
  });

  it("the directory: --state-dir, else SIMULIUM_STATE_DIR, else /var/lib/simulium", () => {
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
