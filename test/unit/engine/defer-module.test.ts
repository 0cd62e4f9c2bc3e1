import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ts from "typescript";
import { deferModule, ModuleCache } from "../../../controller/engine/defer-module";

describe("deferModule", () => {
  it("loads the module on the first call, forwards every call with its this and arguments, and leaves the cache to the real module", () => {
    const cache: ModuleCache = {};
    const loads: string[] = [];
    const real = function (this: { tag: string }, a: number, b: number): string {
      return `${this.tag}:${a + b}`;
    };
    deferModule("/x/session.js", cache, (file) => {
      loads.push(file);
      cache[file] = { exports: real };
      return real;
    });
    const standIn = cache["/x/session.js"]?.exports as typeof real;
    expect(typeof standIn).toBe("function");
    expect(loads).toEqual([]);
    expect(standIn.call({ tag: "t" }, 1, 2)).toBe("t:3");
    expect(standIn.call({ tag: "u" }, 2, 2)).toBe("u:4");
    expect(loads).toEqual(["/x/session.js"]);
    expect(cache["/x/session.js"]?.exports).toBe(real);
  });

  it("leaves a module already loaded alone", () => {
    const loaded = { exports: () => "real" };
    const cache: ModuleCache = { "/x/ssh.js": loaded };
    deferModule("/x/ssh.js", cache, () => {
      throw new Error("must not load");
    });
    expect(cache["/x/ssh.js"]).toBe(loaded);
  });

  it("refuses a module that turns out not to export a function, at its first call", () => {
    const cache: ModuleCache = {};
    deferModule("/x/obj.js", cache, () => ({}));
    const standIn = cache["/x/obj.js"]?.exports as () => unknown;
    expect(() => standIn()).toThrow("/x/obj.js does not export a function");
  });
});

describe("connectDocker's dockerode (a real node process: jest has its own module registry)", () => {
  const root = path.resolve(__dirname, "../../..");
  let dir: string;
  beforeAll(() => {
    // The two engine modules, compiled as the CLI is: they import nothing else of simulium.
    dir = mkdtempSync(path.join(tmpdir(), "simulium-defer-"));
    mkdirSync(path.join(dir, "engine"));
    for (const name of ["docker", "defer-module"]) {
      const source = readFileSync(path.join(root, "controller/engine", `${name}.ts`), "utf8");
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
      writeFileSync(path.join(dir, "engine", `${name}.js`), js);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (script: string): Record<string, unknown> =>
    JSON.parse(
      execFileSync(process.execPath, ["-e", script], { cwd: dir, encoding: "utf8", env: { ...process.env, NODE_PATH: path.join(root, "node_modules") } }),
    ) as Record<string, unknown>;

  it("makes a client without loading the BuildKit session's gRPC or the SSH transport, and loads them when used", () => {
    const out = run(`
      const loaded = (name) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + name + "/"));
      const before = { dockerode: loaded("dockerode") };
      const { connectDocker } = require("./engine/docker");
      const docker = connectDocker("unix:///nonexistent.sock");
      const made = { grpc: loaded("@grpc/grpc-js"), ssh2: loaded("ssh2"), listServices: typeof docker.listServices };
      // The SSH transport, called as docker-modem calls it, is the real one.
      const modem = require.resolve("docker-modem/lib/ssh", { paths: [require.resolve("dockerode")] });
      const agent = require.cache[modem].exports({ host: "127.0.0.1" });
      process.stdout.write(JSON.stringify({ before, made, afterSsh: { ssh2: loaded("ssh2"), agent: typeof agent.createConnection } }));
    `);
    expect(out).toEqual({
      before: { dockerode: false },
      made: { grpc: false, ssh2: false, listServices: "function" },
      afterSsh: { ssh2: true, agent: "function" },
    });
  });
});
