import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectDocker } from "../../controller/engine/docker";
import { generateKeyPair, seal } from "../../controller/sealing/age";
import { bindValue } from "../../controller/sealing/envelope";
import { identityFileText } from "../../controller/sealing/seal-input";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("mail");
const site = `${instance}-a`;
const SMTP_PLAIN = `smtp-${instance}-Relay-Pass`;
const BOUNCE_PLAIN = `imap-${instance}-Bounce-Pass`;
let repo: TestRepo;
let keyDir: string;
let keyFile: string;

beforeAll(async () => {
  const key = await generateKeyPair();
  keyDir = mkdtempSync(path.join(os.tmpdir(), "simulium-mail-"));
  keyFile = path.join(keyDir, "key.txt");
  writeFileSync(keyFile, identityFileText(key.identity, key.recipient, new Date()), { mode: 0o600 });
  const mail = [
    "  mail:",
    "    host: smtp.example.net",
    "    port: 465",
    "    user: relay-user",
    // Bound to the site (simulium seal --site): the container must get the value alone.
    `    password: {sealed: "${await seal(bindValue(Buffer.from(SMTP_PLAIN), { site, name: "smtp-password" }), key.recipient)}"}`,
    "    from: noreply@site.example.org",
    "    returnPath:",
    "      host: imap.example.net",
    "      user: bounce-user",
    `      password: {sealed: "${await seal(bindValue(Buffer.from(BOUNCE_PLAIN), { site, name: "bounce-password" }), key.recipient)}"}`,
    "      mailbox: return@site.example.org",
    "",
  ].join("\n");
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  sealing: {publicKey: ${key.recipient}}\n`),
    [`sites/${site}.yaml`]: `${siteYaml(site, { volumes: false })}${mail}`,
  });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
  rmSync(keyDir, { recursive: true, force: true });
});

test("the web container sees the mail settings in its environment and the passwords as secret files", async () => {
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("mail"), { sealingKeyFile: keyFile });
  expect(out.result.ok).toBe(true);
  const env = (await execInService(docker, `${site}_web`, ["env"])).output;
  const vars = Object.fromEntries(
    env
      .split("\n")
      .filter((l) => /^(SMTP|BOUNCE)_/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  expect(vars).toEqual({
    SMTP_HOST: "smtp.example.net",
    SMTP_PORT: "465",
    SMTP_USER: "relay-user",
    SMTP_FROM: "noreply@site.example.org",
    SMTP_PASSWORD_FILE: "/run/secrets/smtp-password",
    BOUNCE_HOST: "imap.example.net",
    BOUNCE_PORT: "993",
    BOUNCE_USER: "bounce-user",
    BOUNCE_MAILBOX: "return@site.example.org",
    BOUNCE_PASSWORD_FILE: "/run/secrets/bounce-password",
  });
  expect(env).not.toContain(SMTP_PLAIN);
  expect((await execInService(docker, `${site}_web`, ["cat", "/run/secrets/smtp-password"])).output).toBe(SMTP_PLAIN);
  expect((await execInService(docker, `${site}_web`, ["cat", "/run/secrets/bounce-password"])).output).toBe(BOUNCE_PLAIN);
});
