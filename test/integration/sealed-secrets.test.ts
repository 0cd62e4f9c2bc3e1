import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { connectDocker } from "../../controller/engine/docker";
import type { ApiSecret, ApiService } from "../../controller/engine/api-types";
import { planToJson, renderPlanText } from "../../controller/plan/render";
import { planRepo } from "../../controller/features";
import { generateKeyPair, seal } from "../../controller/sealing/age";
import { bindValue } from "../../controller/sealing/envelope";
import { identityFileText } from "../../controller/sealing/seal-input";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("seal");
const good = `${instance}-a`;
const foreign = `${instance}-b`;
/** Pastes simulium.yaml's sealed restic password into its own spec.secrets. */
const thief = `${instance}-c`;
/** Carries a value sealed without --site: accepted anywhere before binding was mandatory. */
const unbound = `${instance}-d`;
const PLAIN = `smtp-${instance}-Plain-Value`;
const RESTIC = `restic-${instance}-of-every-backup`;
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
  const resticSealed = await seal(bindValue(Buffer.from(RESTIC), { cluster: true, name: "restic-password" }), key.recipient);
  const backup = `  backup:\n    image: "simulium/backup:local"\n    password: {sealed: "${resticSealed}"}\n`;
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  sealing: {publicKey: ${key.recipient}}\n${backup}`),
    [`sites/${good}.yaml`]: withSealed(good, await seal(bindValue(Buffer.from(PLAIN), { site: good, name: "smtp-password" }), key.recipient)),
    [`sites/${foreign}.yaml`]: withSealed(foreign, await seal(bindValue(Buffer.from(PLAIN), { site: foreign, name: "smtp-password" }), stranger.recipient)),
    [`sites/${thief}.yaml`]: withSealed(thief, resticSealed),
    [`sites/${unbound}.yaml`]: withSealed(unbound, await seal(Buffer.from(RESTIC), key.recipient)),
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
  expect(ctx.load.invalidSites).toEqual([foreign, thief, unbound]);
  // The line of the `sealed:` field in the manifest as written (siteYaml's layout may grow).
  const line = (site: string) => withSealed(site, "X").split("\n").findIndex((l) => l.includes("sealed:")) + 1;
  expect(ctx.plan.errors.map((e) => [e.file, e.line, e.path])).toEqual([
    [`sites/${foreign}.yaml`, line(foreign), "spec.secrets[0].sealed"],
    [`sites/${thief}.yaml`, line(thief), "spec.secrets[0].sealed"],
    [`sites/${unbound}.yaml`, line(unbound), "spec.secrets[0].sealed"],
  ]);
  expect(ctx.plan.errors[1]?.message).toContain("was sealed for the cluster setting restic-password");
  expect(ctx.plan.errors[1]?.message).toContain(`simulium seal --site ${thief} --name smtp-password`);
  expect(ctx.plan.errors[2]?.message).toContain(`simulium seal --site ${unbound} --name smtp-password`);
  for (const out of [text, json, JSON.stringify(ctx.load), JSON.stringify(ctx.desired)]) {
    expect(out).not.toContain(PLAIN);
    expect(out).not.toContain(Buffer.from(PLAIN).toString("base64"));
    expect(out).not.toContain(RESTIC);
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
  expect(out.ctx.load.invalidSites).toEqual([foreign, thief, unbound]);
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

  // Neither site trying to read the cluster's restic password got a secret or a service.
  const secrets = (await docker.listSecrets({ filters })) as ApiSecret[];
  for (const hostile of [thief, unbound]) {
    expect(secrets.filter((s) => s.Spec?.Labels?.["simulium.site"] === hostile)).toEqual([]);
    expect(labels).not.toContain(`${hostile}_web`);
  }
  // The cluster's own use of it is there: the backup jobs' restic password secret.
  expect(secrets.some((s) => s.Spec?.Name?.startsWith(`${instance}_restic-password`))).toBe(true);
});
