import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { Registry } from "prom-client";
import { LABEL } from "../../controller/desired/labels";
import { startDaemonCron } from "../../controller/jobs/daemon-cron";
import { planRepo } from "../../controller/features";
import { connectDocker } from "../../controller/engine/docker";
import type { ApiService } from "../../controller/engine/api-types";
import { generateKeyPair, seal } from "../../controller/sealing/age";
import { bindValue } from "../../controller/sealing/envelope";
import { identityFileText } from "../../controller/sealing/seal-input";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * A hook's output is stored in the site's status, the web service's failed-reason label and
 * the logs. A hook that prints a secret (a careless `set -x`, a tool that echoes its config)
 * must leave none of them holding the value: each known value is replaced by its name.
 */
const docker = connectDocker();
const instance = testInstance("hred");
const site = `${instance}-r`;
const TOKEN = `api-${instance}-T0ken-Value`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-hook-redact-"));
const keyFile = path.join(root, "key.txt");
let repo: TestRepo;
let sealed = "";
let logs = "";
const log = pino(
  { level: "trace" },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  }),
);

function manifest(version: string, leakyHook: boolean): string {
  const lines = [`${siteYaml(site, { volumes: false, version })}  secrets:`, `    - {name: api-token, sealed: "${sealed}"}`];
  // Run by the daemon's cron only (the test starts it below), never by a reconcile.
  lines.push("  cron:", `    - {name: leak, schedule: "*/2 * * * * *", command: [sh, -c, "echo cron token $(cat /run/secrets/api-token); exit 1"], timeout: 60}`);
  if (leakyHook) lines.push("  hooks:", "    preDeploy:", `      - command: [sh, -c, "echo using token $(cat /run/secrets/api-token); exit 3"]`);
  return `${lines.join("\n")}\n`;
}

beforeAll(async () => {
  const key = await generateKeyPair();
  writeFileSync(keyFile, identityFileText(key.identity, key.recipient, new Date()), { mode: 0o600 });
  sealed = await seal(bindValue(Buffer.from(TOKEN), { site, name: "api-token" }), key.recipient);
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  sealing: {publicKey: ${key.recipient}}\n`),
    [`sites/${site}.yaml`]: manifest("1", false),
  });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("v1"), { sealingKeyFile: keyFile, stateDir: path.join(root, "state") });
  expect(out.result.ok).toBe(true);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

test("a preDeploy hook that prints a sealed secret fails the site; status, label and logs hold [redacted:api-token], never the value", async () => {
  repo.write(`sites/${site}.yaml`, manifest("2", true));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("v2 with a leaky hook"), { sealingKeyFile: keyFile, stateDir: path.join(root, "state"), log });
  const outcome = out.result.sites.find((s) => s.site === site);
  expect(outcome?.state).toBe("failed");
  // The site's status (what /status and notifications show) is this error.
  expect(outcome?.error).toContain("failed with exit code 3: using token [redacted:api-token]");
  expect(outcome?.error).not.toContain(TOKEN);

  const [web] = (await docker.listServices({ filters: { name: [`${site}_web`] } })) as ApiService[];
  const reason = web?.Spec?.Labels?.[LABEL.failedReason] ?? "";
  expect(reason).toContain("using token [redacted:api-token]");
  expect(JSON.stringify(web?.Spec)).not.toContain(TOKEN);

  expect(logs).toContain("[redacted:api-token]");
  expect(logs).not.toContain(TOKEN);
});

test("a cron run that prints a sealed secret: its stored output (/status) and the log hold [redacted:api-token], never the value", async () => {
  const ctx = await planRepo(docker, repo.dir, { sealingKeyFile: keyFile, stateDir: path.join(root, "state") });
  const cron = startDaemonCron(docker, new Registry(), log);
  try {
    cron.update(ctx.load, ctx.cluster, ctx.desired, ctx.secretValue);
    const run = await waitFor(async () => cron.siteStatus(site).find((e) => e.name === "leak")?.runs[0], "a run of the leaky cron entry", 90_000, 500);
    expect(run.result).toBe("failure");
    expect(run.output).toContain("cron token [redacted:api-token]");
    expect(JSON.stringify(cron.siteStatus(site))).not.toContain(TOKEN);
    await waitFor(async () => (logs.includes("cron run failed") ? true : undefined), "the failed run's log line", 10_000, 200);
    expect(logs).not.toContain(TOKEN);
  } finally {
    await cron.stop();
  }
});
