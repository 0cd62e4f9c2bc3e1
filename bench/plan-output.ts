/**
 * A check, not a figure: `simulium plan` (text and --json) of two builds of the CLI, run as
 * processes against the same synthetic engine, must print the same bytes and exit alike.
 * Repositories: sites.example, the bench's synthetic repository at 10, 600 and 10,000 sites,
 * and 1,000 sites with broken
 * files (file:line:field messages: a wrong type, a duplicate domain located on demand, YAML
 * off the fast path, unparsable YAML). The engine answers readLive's list calls as
 * bench/synthetic.ts apiFromDesired makes them from the repository's valid sites (~1% changed).
 * Run by harness/plan-output.sh.
 *
 *   node plan-output.js <cli main.js A> <cli main.js B>   (exit 1 on any difference)
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { ApiTask } from "../controller/engine/api-types";
import { renderDesired } from "../controller/desired/render";
import { loadRepo } from "../controller/manifests/load";
import type { RepoFile } from "../controller/manifests/read";
import { placeSites } from "../controller/plan/placement";
import { apiFromDesired, ApiBodies, onePercent, SYNTHETIC_NODE, syntheticRepo } from "./synthetic";

const run = promisify(execFile);

/** The synthetic repository with a few files broken, each a different way. */
function brokenRepo(count: number): RepoFile[] {
  const files = syntheticRepo("bench", "site", count);
  const edit = (name: string, change: (text: string) => string): void => {
    const i = files.findIndex((f) => f.path === `sites/${name}.yaml`);
    const f = files[i] as RepoFile;
    files[i] = { path: f.path, text: change(f.text) };
  };
  edit("site3", (t) => t.replace("interval: 2", "interval: often"));
  edit("site5", (t) => t.replace("site5.", "site6."));
  edit("site11", (t) => t.replace("spec:\n", "spec:\n  bogus: 1\n"));
  edit("site7", (t) => `# an anchor: off the fast path\n${t.replace("kind: Site", "kind: &k Site")}`);
  edit("site9", (t) => `${t}\n  : [unclosed\n`);
  return files;
}

async function writeRepo(dir: string, files: readonly RepoFile[]): Promise<void> {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.text);
  }
}

/** The engine's answers for a repository on disk: its valid sites converged, ~1% changed. */
async function bodiesFor(dir: string): Promise<ApiBodies> {
  const loaded = await loadRepo(dir);
  if (!loaded.cluster) throw new Error(`${dir}: simulium.yaml does not load`);
  const placement = placeSites({ sites: loaded.sites, cluster: loaded.cluster, nodes: [SYNTHETIC_NODE], pinned: new Map(), here: SYNTHETIC_NODE.id });
  // The plan's own Varnish secret is shown as new (no state directory): any hash does here.
  const varnish = loaded.cluster.varnish.image ? { varnishSecret: { hash: "plan-output" } } : {};
  const desired = renderDesired({ sites: loaded.sites, cluster: loaded.cluster, pins: placement.pins, invalidSites: loaded.invalidSites, ...varnish });
  // Not the instance's own secrets: their values are in a state directory this check has not.
  return apiFromDesired({ ...desired, resources: desired.resources.filter((r) => r.kind !== "secret" || r.site !== null) }, onePercent(desired.sites));
}

const NODE = {
  ID: SYNTHETIC_NODE.id,
  Description: { Hostname: SYNTHETIC_NODE.hostname, Platform: { OS: SYNTHETIC_NODE.os, Architecture: SYNTHETIC_NODE.arch }, Engine: { Labels: {} } },
  Spec: { Role: SYNTHETIC_NODE.role, Availability: SYNTHETIC_NODE.availability, Labels: {} },
  Status: { State: SYNTHETIC_NODE.state, Addr: SYNTHETIC_NODE.ip },
};

/** A unix-socket engine answering the reads of a plan; anything else is a 500 (the same for both builds). */
async function startEngine(socket: string, bodies: ApiBodies): Promise<http.Server> {
  const tasks = JSON.parse(bodies.tasks) as ApiTask[];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://engine");
    const path = url.pathname.replace(/^\/v[0-9.]+/, "");
    const send = (status: number, body: string): void => void res.writeHead(status, { "Content-Type": "application/json" }).end(body);
    if (req.method !== "GET") return send(500, JSON.stringify({ message: `plan-output: ${req.method} ${path}` }));
    if (path === "/networks") return send(200, bodies.networks);
    if (path === "/volumes") return send(200, bodies.volumes);
    if (path === "/secrets") return send(200, bodies.secrets);
    if (path === "/services") return send(200, bodies.services);
    if (path === "/nodes") return send(200, JSON.stringify([NODE]));
    if (path === "/info") return send(200, JSON.stringify({ Swarm: { NodeID: SYNTHETIC_NODE.id } }));
    if (path === "/tasks") {
      const filters = JSON.parse(url.searchParams.get("filters") ?? "{}") as { service?: string[] | Record<string, boolean> };
      const wanted = new Set(Array.isArray(filters.service) ? filters.service : Object.keys(filters.service ?? {}));
      return send(200, JSON.stringify(tasks.filter((t) => wanted.has(t.ServiceID ?? ""))));
    }
    return send(500, JSON.stringify({ message: `plan-output: GET ${path}` }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return server;
}

interface Output {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

async function plan(cli: string, repo: string, socket: string, state: string, json: boolean): Promise<Output> {
  const args = [cli, "plan", "--repo", repo, "--state-dir", state, ...(json ? ["--json"] : [])];
  try {
    const { stdout, stderr } = await run(process.execPath, args, { env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, maxBuffer: 2 ** 30 });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code ?? -1 };
  }
}

async function main(): Promise<void> {
  const [a, b] = process.argv.slice(2);
  if (a === undefined || b === undefined) throw new Error("usage: plan-output <cli main.js A> <cli main.js B>");
  const root = mkdtempSync(join(tmpdir(), "simulium-plan-output-"));
  let differences = 0;
  try {
    const repos: [string, (dir: string) => Promise<void>][] = [
      ["sites.example", async (dir) => void cpSync(join(process.cwd(), "sites.example"), dir, { recursive: true })],
      ["synthetic-10", (dir) => writeRepo(dir, syntheticRepo("bench", "site", 10))],
      ["synthetic-600", (dir) => writeRepo(dir, syntheticRepo("bench", "site", 600))],
      ["synthetic-10000", (dir) => writeRepo(dir, syntheticRepo("bench", "site", 10000))],
      ["broken-1000", (dir) => writeRepo(dir, brokenRepo(1000))],
    ];
    for (const [name, make] of repos) {
      const dir = join(root, name);
      await make(dir);
      const socket = join(root, `${name}.sock`);
      const engine = await startEngine(socket, await bodiesFor(dir));
      try {
        for (const json of [false, true]) {
          const [x, y] = [await plan(a, dir, socket, join(root, "state"), json), await plan(b, dir, socket, join(root, "state"), json)];
          const same = x.stdout === y.stdout && x.stderr === y.stderr && x.code === y.code;
          if (!same) differences++;
          process.stdout.write(`${same ? "same" : "DIFFERENT"} ${name}${json ? " --json" : ""}: exit ${x.code}/${y.code}, ${x.stdout.length} bytes, ${x.stdout.split("\n").filter((l) => l.startsWith("error:")).length} errors${x.stderr ? `, stderr ${JSON.stringify(x.stderr.slice(0, 200))}` : ""}\n`);
          // PLAN_OUTPUT_KEEP=dir: every output kept, to read what was compared.
          const keep = process.env.PLAN_OUTPUT_KEEP;
          if (keep) writeFileSync(join(keep, `${name}${json ? ".json" : ".txt"}`), x.stdout + x.stderr);
          if (!same) {
            writeFileSync(join(process.cwd(), `plan-output-${name}${json ? "-json" : ""}.a`), x.stdout + x.stderr);
            writeFileSync(join(process.cwd(), `plan-output-${name}${json ? "-json" : ""}.b`), y.stdout + y.stderr);
          }
        }
      } finally {
        await new Promise<void>((resolve) => engine.close(() => resolve()));
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  if (differences > 0) throw new Error(`${differences} outputs differ`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
