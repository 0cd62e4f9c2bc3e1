import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { connectDocker } from "../../controller/engine/docker";
import type { ApiSecret, ApiService } from "../../controller/engine/api-types";
import { planToJson, renderPlanText } from "../../controller/plan/render";
import { planRepo } from "../../controller/reconcile/pipeline";
import { generateKeyPair, seal } from "../../controller/sealing/age";
import { identityFileText } from "../../controller/sealing/seal-input";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("seal");
const good = `${instance}-a`;
const foreign = `${instance}-b`;
const PLAIN = `smtp-${instance}-Plain-Value`;
let repo: TestRepo;
let keyDir: string;
let keyFile: string;

const withSealed = (site: string, ciphertext: string) => `${siteYaml(site, { volumes: false })}  secrets:\n    - {name: smtp-password, sealed: "${ciphertext}"}\n`;

beforeAll(async () => {
  const key = await generateKeyPair();
  const stranger = await generateKeyPair();
  keyDir = mkdtempSync(path.join(os.tmpdir(), "simulium-sealing-"));
  keyFile = path.join(keyDir, "key.txt");
  writeFileSync(keyFile, identityFileText(key.identity, key.recipient, new Date()), { mode: 0o600 });
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  sealing: {publicKey: ${key.recipient}}\n`),
    [`sites/${good}.yaml`]: withSealed(good, await seal(Buffer.from(PLAIN), key.recipient)),
    [`sites/${foreign}.yaml`]: withSealed(foreign, await seal(Buffer.from(PLAIN), stranger.recipient)),
  });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
  rmSync(keyDir, { recursive: true, force: true });
});

test("the plan shows a sealed secret without its value, and a foreign one invalidates its site alone", async () => {
  const ctx = await planRepo(docker, repo.dir, { sealingKeyFile: keyFile });
  const text = renderPlanText(ctx.plan);
  const json = JSON.stringify(planToJson(ctx.plan));
  expect(text).toContain("+ value: (sealed in the manifest)");
  expect(ctx.load.invalidSites).toEqual([foreign]);
  expect(ctx.plan.errors.map((e) => [e.file, e.line, e.path])).toEqual([[`sites/${foreign}.yaml`, 9, "spec.secrets[0].sealed"]]);
  for (const out of [text, json, JSON.stringify(ctx.load), JSON.stringify(ctx.desired)]) {
    expect(out).not.toContain(PLAIN);
    expect(out).not.toContain(Buffer.from(PLAIN).toString("base64"));
  }
});

test("a sealed secret reaches the container as a file with the plain value, and nowhere else", async () => {
  let logs = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  const log = pino({ level: "trace" }, sink);
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("sealed"), { sealingKeyFile: keyFile, log });
  expect(out.result.ok).toBe(true);
  expect(out.ctx.load.invalidSites).toEqual([foreign]);
  expect((await execInService(docker, `${good}_web`, ["cat", "/run/secrets/smtp-password"])).output).toBe(PLAIN);

  expect(logs).toContain("audit: secret created");
  expect(logs).not.toContain(PLAIN);
  const filters = { label: [`simulium.instance=${instance}`] };
  const labels = JSON.stringify([
    ...((await docker.listServices({ filters })) as ApiService[]).map((s) => s.Spec),
    ...((await docker.listSecrets({ filters })) as ApiSecret[]).map((s) => s.Spec?.Labels),
  ]);
  expect(labels).toContain("smtp-password");
  expect(labels).not.toContain(PLAIN);
  // The foreign site was never created: it is invalid, so frozen.
  expect(labels).not.toContain(`${foreign}_web`);
});
