import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { backupSite, checkRepository, runResticJob } from "../../controller/backup/run";
import { resticScript } from "../../controller/backup/scripts";
import { loadBackupTarget } from "../../controller/backup/target";
import { connectDocker } from "../../controller/engine/docker";
import { generateKeyPair, seal } from "../../controller/sealing/age";
import { bindValue } from "../../controller/sealing/envelope";
import { identityFileText } from "../../controller/sealing/seal-input";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance } from "../support/swarm";

/**
 * A sealed restic password and sealed repository credentials (spec.backup.password/env):
 * decrypted by the controller, created as Swarm secrets at apply, read by the jobs from files,
 * and never visible in the job's spec or output.
 */
const docker = connectDocker();
const instance = testInstance("bks");
const site = `${instance}-s`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-backup-sealed-"));
const stateDir = path.join(root, "state");
const keyFile = path.join(root, "key.txt");
const PASSWORD = "sealed restic password 7f3a";
const PROBE = "probe credential 91c2";
let repo: TestRepo;
let recipient: string;
let clusterText: string;

const resticSecrets = async (): Promise<string[]> =>
  (await docker.listSecrets({ filters: { label: [`simulium.instance=${instance}`, "simulium.secret=restic-password"] } })).map((s) => s.Spec?.Name ?? "").sort();

beforeAll(async () => {
  const key = await generateKeyPair();
  recipient = key.recipient;
  writeFileSync(keyFile, identityFileText(key.identity, key.recipient, new Date()), { mode: 0o600 });
  const backup = [
    "  backup:",
    `    image: "simulium/backup:local"`,
    // Bound to the cluster scope (simulium seal --cluster --name ...): no site may use them.
    `    password: {sealed: "${await seal(bindValue(Buffer.from(PASSWORD), { cluster: true, name: "restic-password" }), key.recipient)}"}`,
    `    env: {SIMULIUM_PROBE: {sealed: "${await seal(bindValue(Buffer.from(PROBE), { cluster: true, name: "SIMULIUM_PROBE" }), key.recipient)}"}}`,
    "",
  ].join("\n");
  clusterText = clusterYaml(instance, `  sealing: {publicKey: ${key.recipient}}\n${backup}`);
  repo = await createRepo({
    "simulium.yaml": clusterText,
    [`sites/${site}.yaml`]: siteYaml(site, { database: false }),
  });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("v1"), { stateDir, sealingKeyFile: keyFile });
  expect(out.result.ok).toBe(true);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

test("the sealed password opens the repository and the sealed variable reaches restic's environment, as files only", async () => {
  const target = await loadBackupTarget({ repo: repo.dir, stateDir }, site);
  const made = await backupSite(docker, target);
  expect(made).toMatchObject({ ok: true });
  expect(made.snapshots).toHaveLength(1);
  expect(await checkRepository(docker, target)).toMatchObject({ ok: true });

  // The job proves what it got without printing it: hashes of the variable and of the password file.
  const probe = await runResticJob(docker, target, "check", resticScript(`open_repository
printf 'probe=%s\\n' "$(printf %s "$SIMULIUM_PROBE" | sha256sum | cut -c1-64)"
printf 'password=%s\\n' "$(sha256sum < "$RESTIC_PASSWORD_FILE" | cut -c1-64)"
`), []);
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");
  expect(probe.exitCode).toBe(0);
  expect(probe.output).toContain(`probe=${sha(PROBE)}`);
  expect(probe.output).toContain(`password=${sha(PASSWORD)}`);
  expect(probe.output).not.toContain(PROBE);
  expect(JSON.stringify(target)).not.toContain(PASSWORD);
});

test("another sealed password is refused before anything changes; the backups stay readable; accepted on purpose", async () => {
  const before = await resticSecrets();
  expect(before).toHaveLength(1);
  const other = await seal(bindValue(Buffer.from("another password"), { cluster: true, name: "restic-password" }), recipient);
  repo.write("simulium.yaml", clusterText.replace(/password: \{sealed: "[^"]+"\}/, `password: {sealed: "${other}"}`));
  const commit = await repo.commit("another restic password");
  await expect(reconcileRepo(docker, repo.dir, commit, { stateDir, sealingKeyFile: keyFile })).rejects.toThrow(
    /backup\.password would replace the restic password .*--accept-restic-password-change/,
  );
  // The refused commit changed nothing: the backups' password secret is the one they were written with.
  expect(await resticSecrets()).toEqual(before);

  const out = await reconcileRepo(docker, repo.dir, commit, { stateDir, sealingKeyFile: keyFile, acceptResticPasswordChange: true });
  expect(out.result.ok).toBe(true);
  expect(await resticSecrets()).not.toEqual(before);
});
