import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { acmeControllerOptions, DNS_HOOK_TIMEOUT_SECONDS } from "../../../controller/cli/acme-options";
import { buildProgram } from "../../../controller/cli/main";

let dir = "";
let hook = "";
let key = "";
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-acme-flags-"));
  hook = path.join(dir, "hook");
  writeFileSync(hook, "#!/bin/sh\n");
  chmodSync(hook, 0o755);
  key = path.join(dir, "eab.key");
  writeFileSync(key, "secret-hmac-key-0123456789");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the controller's ACME flags", () => {
  it("give nothing when none is set", () => {
    expect(acmeControllerOptions({ acmeDnsPropagationSeconds: "60" })).toEqual({});
  });

  it("take the hook as an absolute executable with its propagation wait, and the external account", () => {
    expect(acmeControllerOptions({ acmeDnsHook: hook, acmeDnsPropagationSeconds: "90", acmeEabKid: "kid-1", acmeEabHmacKeyFile: key })).toEqual({
      dnsHook: { command: hook, propagationSeconds: 90, timeoutSeconds: DNS_HOOK_TIMEOUT_SECONDS },
      eab: { kid: "kid-1", hmacKeyFile: key },
    });
  });

  it("refuse a hook that is missing or not executable, naming the flag", () => {
    expect(() => acmeControllerOptions({ acmeDnsHook: path.join(dir, "nope"), acmeDnsPropagationSeconds: "60" })).toThrow(/--acme-dns-hook .*nope: not an executable file/);
    expect(() => acmeControllerOptions({ acmeDnsHook: key, acmeDnsPropagationSeconds: "60" })).toThrow(/not an executable file/);
    expect(() => acmeControllerOptions({ acmeDnsHook: dir, acmeDnsPropagationSeconds: "60" })).toThrow(/not an executable file/);
  });

  it("refuse half an external account, an odd key id and a propagation wait that is not whole seconds", () => {
    expect(() => acmeControllerOptions({ acmeEabKid: "kid-1", acmeDnsPropagationSeconds: "60" })).toThrow("--acme-eab-kid and --acme-eab-hmac-key-file go together");
    expect(() => acmeControllerOptions({ acmeEabHmacKeyFile: key, acmeDnsPropagationSeconds: "60" })).toThrow("go together");
    expect(() => acmeControllerOptions({ acmeEabKid: "kid 1", acmeEabHmacKeyFile: key, acmeDnsPropagationSeconds: "60" })).toThrow(/--acme-eab-kid/);
    expect(() => acmeControllerOptions({ acmeEabKid: "k", acmeEabHmacKeyFile: path.join(dir, "nope"), acmeDnsPropagationSeconds: "60" })).toThrow(/--acme-eab-hmac-key-file .*nope: not a readable file/);
    expect(() => acmeControllerOptions({ acmeDnsPropagationSeconds: "1m" })).toThrow(/whole seconds/);
  });

  it("are flags of both controllers that may order, apply and run, with environment variables", () => {
    for (const name of ["apply", "run"]) {
      const cmd = buildProgram().commands.find((c) => c.name() === name);
      const flags = cmd?.options.map((o) => [o.long, o.envVar]);
      expect(flags).toEqual(
        expect.arrayContaining([
          ["--acme-dns-hook", "SIMULIUM_ACME_DNS_HOOK"],
          ["--acme-dns-propagation-seconds", "SIMULIUM_ACME_DNS_PROPAGATION_SECONDS"],
          ["--acme-eab-kid", "SIMULIUM_ACME_EAB_KID"],
          ["--acme-eab-hmac-key-file", "SIMULIUM_ACME_EAB_HMAC_KEY_FILE"],
        ]),
      );
    }
  });
});
