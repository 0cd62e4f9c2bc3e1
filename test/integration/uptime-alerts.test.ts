import Docker from "dockerode";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { RunningDaemon } from "../../controller/daemon/daemon";
import { startTestDaemon } from "../support/daemon";
import { freePort } from "../harness";
import { clusterYaml, siteYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

// Uptime alerts end to end: the daemon probes the site through the real Varnish every second;
// the site's web service stopped → exactly one "down" notification however many probes fail;
// started again → exactly one "recovered".
const docker = new Docker();
const instance = testInstance("up");
const site = `${instance}-shop`;
let stateDir = "";
let repo: TestRepo;
let daemon: RunningDaemon | undefined;
const events: { event: string; site?: string }[] = [];
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    events.push(JSON.parse(Buffer.concat(chunks).toString()) as { event: string; site?: string });
    res.writeHead(204).end();
  });
});

const uptimeEvents = (): string[] => events.filter((e) => e.event.startsWith("uptime.")).map((e) => `${e.event} ${e.site ?? ""}`);

async function scale(replicas: number): Promise<void> {
  const service = docker.getService(`${site}_web`);
  const info = await service.inspect();
  await service.update({ ...info.Spec, version: info.Version.Index, Mode: { Replicated: { Replicas: replicas } } });
}

beforeAll(async () => {
  const port = await freePort();
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  writeFileSync(path.join(stateDir, "notify-secret"), "uptime-test-secret");
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`),
    [`sites/${site}.yaml`]: siteYaml(site, { volumes: false, spec: ["  uptime: {interval: 1, timeout: 2, failures: 2, path: /healthz.php}"] }),
  });
  await repo.commit("a shop probed every second");
  daemon = await startTestDaemon({
    repo: repo.dir,
    stateDir,
    docker,
    debounceMs: 200,
    jobWatchMs: 500,
    notify: { secretFile: path.join(stateDir, "notify-secret"), urls: [`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`], suppressSeconds: 3600 },
  });
});

afterAll(async () => {
  await daemon?.stop();
  receiver.close();
  await removeInstance(docker, instance);
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test("a stopped site gives one down notification, started again one recovered", async () => {
  if (!daemon) throw new Error("setup failed");
  const d = daemon;
  const up = (want: boolean) => () => Promise.resolve(d.status().sites.find((s) => s.site === site)?.uptime?.up === want);
  await waitFor(up(true), `${site} probed up through Varnish`, 120_000, 500);
  expect(uptimeEvents()).toEqual([]);

  await scale(0);
  await waitFor(() => Promise.resolve(uptimeEvents().length > 0), "a down notification", 60_000, 250);
  // Many more failed probes (one a second): still one notification.
  await new Promise((r) => setTimeout(r, 5000));
  expect(uptimeEvents()).toEqual([`uptime.down ${site}`]);
  expect(d.status().sites.find((s) => s.site === site)?.uptime).toMatchObject({ up: false });

  await scale(1);
  await waitFor(() => Promise.resolve(uptimeEvents().length > 1), "a recovered notification", 120_000, 250).catch(async (err: unknown) => {
    const s = d.status();
    const tasks = (await docker.listTasks({ filters: JSON.stringify({ service: [`${site}_web`] }) })).map((t) => ({ state: t.Status?.State, err: t.Status?.Err, desired: t.DesiredState }));
    throw new Error(`${String(err)}; status: ${JSON.stringify({ tasks, lastRouting: s.lastRouting, lastRun: s.lastRun, site: s.sites })}`);
  });
  await new Promise((r) => setTimeout(r, 4000));
  expect(uptimeEvents()).toEqual([`uptime.down ${site}`, `uptime.recovered ${site}`]);
});
