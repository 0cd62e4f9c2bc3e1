import { Command } from "commander";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { register } from "../../../controller/cli/validate";
import { formatError } from "../../../controller/manifests/format";

const root = join(__dirname, "..", "..", "..");

/** Runs `simulium validate` in-process, capturing stdout and the exit code. */
async function validate(args: string[]): Promise<{ out: string; code: number }> {
  const program = new Command().exitOverride();
  register(program);
  let out = "";
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const before = process.exitCode;
  try {
    await program.parseAsync(["node", "simulium", "validate", ...args]);
    return { out, code: Number(process.exitCode ?? 0) };
  } finally {
    spy.mockRestore();
    process.exitCode = before;
  }
}

describe("simulium validate", () => {
  it("exits 0 on a valid repository", async () => {
    expect(await validate(["--repo", join(root, "test/fixtures/manifests-valid")])).toEqual({ out: "ok: 2 site(s) valid\n", code: 0 });
  });

  it("prints one line per problem and exits 1", async () => {
    const { out, code } = await validate(["--repo", join(root, "test/fixtures/manifests-broken")]);
    expect(code).toBe(1);
    expect(out.split("\n")).toEqual([
      'sites/beta.yaml:7:31: spec.domains[1]: "alpha.example.org" is already served by site "alpha" (sites/alpha.yaml:6:13)',
      'sites/delta.yaml:8:5: spec.web.imgae: unknown field "imgae" (expected one of: image, replicas, port, command, env, resources, healthcheck)',
      "sites/gamma.yml: site manifests use the .yaml extension: rename to gamma.yaml",
      "",
    ]);
  });

  it("prints JSON with --json", async () => {
    const { out, code } = await validate(["--repo", join(root, "test/fixtures/manifests-broken"), "--json"]);
    expect(code).toBe(1);
    const doc = JSON.parse(out) as { valid: boolean; sites: string[]; errors: Array<Record<string, unknown>> };
    expect(doc.valid).toBe(false);
    expect(doc.sites).toEqual(["alpha"]);
    expect(doc.errors[0]).toEqual({
      file: "sites/beta.yaml",
      line: 7,
      column: 31,
      path: "spec.domains[1]",
      message: '"alpha.example.org" is already served by site "alpha" (sites/alpha.yaml:6:13)',
    });
    expect(doc.errors[2]).toEqual({ file: "sites/gamma.yml", line: 0, column: 0, path: "", message: "site manifests use the .yaml extension: rename to gamma.yaml" });
  });

  it("validates the example repository shipped with simulium", async () => {
    const { out, code } = await validate(["--repo", join(root, "sites.example"), "--json"]);
    expect(JSON.parse(out)).toEqual({ valid: true, sites: ["brasserie", "brasserie--staging", "festival", "solidarity"], errors: [] });
    expect(code).toBe(0);
  });

  it("is registered in the CLI", () => {
    const { buildProgram } = require("../../../controller/cli/main") as { buildProgram: () => Command };
    expect(buildProgram().commands.map((c) => c.name())).toContain("validate");
  });
});

describe("formatError", () => {
  it("has the file:line:column: path: message shape", () => {
    expect(formatError({ file: "sites/acme.yaml", line: 7, column: 5, path: "spec.domains[1]", message: '"www.example.org" is already served by site "example-org" (sites/example-org.yaml:8:7)' })).toBe(
      'sites/acme.yaml:7:5: spec.domains[1]: "www.example.org" is already served by site "example-org" (sites/example-org.yaml:8:7)',
    );
  });

  it("drops the position of a whole-file problem and an empty path", () => {
    expect(formatError({ file: "sites/a.yaml", line: 0, column: 0, path: "", message: "the file is empty" })).toBe("sites/a.yaml: the file is empty");
    expect(formatError({ file: "sites/a.yaml", line: 1, column: 1, path: "", message: 'missing required field "kind"' })).toBe('sites/a.yaml:1:1: missing required field "kind"');
  });

  it("escapes control characters so one error is always one line", () => {
    expect(formatError({ file: "sites/a\nb.yaml", line: 1, column: 1, path: "x", message: "m\r\n" })).toBe("sites/a\\u000ab.yaml:1:1: x: m\\u000d\\u000a");
  });
});

describe("generated schema types", () => {
  it("are up to date with the schemas (npm run schema:types -- --check)", () => {
    // Throws (exit status 1) when controller/manifests/schema-types.ts is stale.
    expect(() => execFileSync("node", ["scripts/schema-types.mjs", "--check"], { cwd: root, stdio: "pipe" })).not.toThrow();
  }, 60000);
});
