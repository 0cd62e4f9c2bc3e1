import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

jest.setTimeout(30_000);

/**
 * The TLS image's entrypoint (harness/images/tls) with real processes: a stand-in for hitch
 * (Node, SO_REUSEPORT like hitch 1.7's workers, the served "certificate" as its answer) and
 * the entrypoint's own shell. A new generation hands the port to a second master before the
 * first one leaves it: a client connecting in a loop throughout never finds the port closed.
 * The scenario runs in a network namespace of its own (unshare, as root like the harness),
 * with the sysctl the terminator's service sets (net.ipv4.tcp_migrate_req=1, tls/render.ts):
 * without it a connection still queued on the socket the old master closes is reset.
 */
const ENTRYPOINT = path.resolve(__dirname, "../../../harness/images/tls/files/usr/local/bin/hitch-entrypoint");

// What hitch 1.7 does that matters here: listen on the configuration's frontend
// (SO_REUSEPORT), serve the pem-dir's files, refuse to start on a bad one (and keep the
// previous ones on a reload), and on SIGHUP load the configuration again: its new worker binds
// a new socket while the old worker closes its own, which may come first (a moment without a
// listener: measured with hitch 1.7.2, connections refused or reset during a reload).
const FAKE_HITCH = `
const fs = require("fs"), net = require("net"), path = require("path");
const conf = process.argv.find((a) => a.startsWith("--config=")).slice(9);
let server = null, frontend = "", served = "";
function load() {
  const text = fs.readFileSync(conf, "utf8");
  const dir = /pem-dir = "(.*)"/.exec(text)[1];
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".pem")).sort();
  const pems = files.map((f) => fs.readFileSync(path.join(dir, f), "utf8").trim());
  if (pems.some((p) => p.includes("BAD"))) { console.error("bad certificate"); if (server === null) process.exit(1); return; }
  served = pems.join(",");
  frontend = /frontend = "(.*)"/.exec(text)[1];
  const m = /^\\[(.*)\\]:(\\d+)$/.exec(frontend);
  const listen = () => {
    server = net.createServer((c) => c.end(served + "\\n"));
    server.listen({ host: m[1], port: Number(m[2]), reusePort: true });
  };
  if (server === null) return listen();
  server.close();
  setTimeout(listen, 30);
}
load();
process.on("SIGHUP", load);
process.on("SIGTERM", () => process.exit(0));
`;


// The scenario, run by node inside the namespace; prints one JSON report.
const DRIVER = `
const { spawn } = require("child_process");
const fs = require("fs"), net = require("net"), path = require("path");
const [dir, entrypoint] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const port = 18443, retired = 18444;
let log = "";
const ask = () => new Promise((resolve) => {
  const c = net.connect({ host: "127.0.0.1", port });
  let data = "";
  c.on("data", (d) => (data += d));
  c.on("end", () => resolve(data.trim()));
  c.on("error", (e) => resolve("error " + (e.code || e.message)));
});
const certs = path.join(dir, "certs");
fs.mkdirSync(certs);
const deliver = (gen, pems) => {
  for (const [n, t] of Object.entries(pems)) fs.writeFileSync(path.join(certs, n), t);
  fs.writeFileSync(path.join(certs, ".generation"), gen + "\\n");
};
const loaded = () => { try { return fs.readFileSync(path.join(certs, ".loaded"), "utf8").trim(); } catch { return ""; } };
const until = async (check, ms = 10000) => { const end = Date.now() + ms; while (!check()) { if (Date.now() > end) return false; await sleep(50); } return true; };
(async () => {
  const report = {};
  const entry = spawn(entrypoint, ["--backend=[127.0.0.1]:1"], {
    env: { PATH: process.env.PATH, HITCH: path.join(dir, "hitch"), CERT_DIR: certs, HITCH_RUN_DIR: path.join(dir, "run"),
      HITCH_FRONTEND: "[127.0.0.1]:" + port, HITCH_RETIRED_FRONTEND: "[127.0.0.1]:" + retired, HITCH_DRAIN_SECONDS: "2", HITCH_RETRY_SECONDS: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  entry.stderr.on("data", (d) => (log += d));
  await sleep(300);
  report.beforeCertificates = await ask();
  deliver("g1", { "a.pem": "A1" });
  report.g1Loaded = await until(() => loaded() === "g1");
  report.firstAnswer = await ask();
  const answers = [];
  let stop = false;
  const loop = (async () => { while (!stop) answers.push(await ask()); })();
  await sleep(200);
  deliver("g2", { "a.pem": "A2", "b.pem": "B1" });
  report.g2Loaded = await until(() => loaded() === "g2");
  const switched = answers.length;
  await sleep(500);
  stop = true;
  await loop;
  report.rollover = { total: answers.length, errors: answers.filter((a) => a.startsWith("error")), first: answers[0], afterLoaded: [...new Set(answers.slice(switched + 1))] };
  deliver("g3", { "a.pem": "BAD" });
  report.refusalLogged = await until(() => log.includes("hitch refused certificates g3"));
  report.loadedAfterRefusal = loaded();
  report.answerAfterRefusal = await ask();
  // The same generation, now loadable (a transient failure): tried again after the backoff.
  fs.writeFileSync(path.join(certs, "a.pem"), "A3");
  report.retriedLoaded = await until(() => loaded() === "g3");
  report.answerAfterRetry = await ask();
  entry.kill("SIGTERM");
  await new Promise((r) => entry.once("exit", r));
  await sleep(300);
  report.afterStop = await ask();
  report.log = log;
  console.log(JSON.stringify(report));
})();
`;

interface Report {
  readonly beforeCertificates: string;
  readonly g1Loaded: boolean;
  readonly firstAnswer: string;
  readonly g2Loaded: boolean;
  readonly rollover: { readonly total: number; readonly errors: readonly string[]; readonly first: string; readonly afterLoaded: readonly string[] };
  readonly refusalLogged: boolean;
  readonly loadedAfterRefusal: string;
  readonly answerAfterRefusal: string;
  readonly retriedLoaded: boolean;
  readonly answerAfterRetry: string;
  readonly afterStop: string;
  readonly log: string;
}

let dir = "";
let report: Report;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-hitch-entrypoint-"));
  writeFileSync(path.join(dir, "fake-hitch.js"), FAKE_HITCH);
  writeFileSync(path.join(dir, "driver.js"), DRIVER);
  writeFileSync(path.join(dir, "hitch"), `#!/bin/sh\nexec "${process.execPath}" "${path.join(dir, "fake-hitch.js")}" "$@"\n`);
  chmodSync(path.join(dir, "hitch"), 0o755);
  const inNamespace = "ip link set lo up && echo 1 > /proc/sys/net/ipv4/tcp_migrate_req && exec \"$0\" \"$@\"";
  const out = await promisify(execFile)("unshare", ["-n", "sh", "-c", inNamespace, process.execPath, path.join(dir, "driver.js"), dir, ENTRYPOINT], { timeout: 25_000 });
  report = JSON.parse(out.stdout) as Report;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the TLS image's entrypoint", () => {
  it("waits for the first certificates, then serves them", () => {
    expect(report.beforeCertificates).toBe("error ECONNREFUSED");
    expect(report.g1Loaded).toBe(true);
    expect(report.firstAnswer).toBe("A1");
  });

  it("rolls a new generation over with every connection answered throughout, then only the new certificates", () => {
    expect(report.g2Loaded).toBe(true);
    expect(report.rollover.errors).toEqual([]);
    expect(report.rollover.total).toBeGreaterThan(20);
    expect(report.rollover.first).toBe("A1");
    expect(report.rollover.afterLoaded).toEqual(["A2,B1"]);
    expect(report.log).toContain("serving certificates g2; the previous hitch drains");
  });

  it("keeps serving the previous certificates when hitch refuses the new ones", () => {
    expect(report.refusalLogged).toBe(true);
    expect(report.loadedAfterRefusal).toBe("g2");
    expect(report.answerAfterRefusal).toBe("A2,B1");
  });

  it("tries a refused generation again after a backoff: the same generation, delivered again, is not skipped", () => {
    expect(report.log).toContain("trying again in 1 s");
    expect(report.retriedLoaded).toBe(true);
    expect(report.answerAfterRetry).toBe("A3,B1");
  });

  it("stops every hitch it started on SIGTERM", () => {
    expect(report.afterStop).toBe("error ECONNREFUSED");
  });
});

describe("the TLS image's entrypoint without HITCH_FRONTEND", () => {
  it("runs hitch with the arguments as given (a service rendered before the delivery)", async () => {
    const d = mkdtempSync(path.join(os.tmpdir(), "simulium-hitch-plain-"));
    try {
      writeFileSync(path.join(d, "hitch"), `#!/bin/sh\necho "hitch $*"\n`);
      chmodSync(path.join(d, "hitch"), 0o755);
      const out = await promisify(execFile)(ENTRYPOINT, ["--frontend=[*]:443", "/run/secrets/a.pem"], { env: { PATH: process.env.PATH ?? "", HITCH: path.join(d, "hitch") } });
      expect(out.stdout).toBe("hitch --frontend=[*]:443 /run/secrets/a.pem\n");
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
