import { Command } from "commander";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { register } from "../../controller/cli/compose";
import { freePort, httpGet } from "../harness/http";
import { clusterYaml, siteYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { testInstance, waitFor } from "../support/swarm";

const run = promisify(execFile);
const project = testInstance("compose");
const site = `${project}-s`;
let repo: TestRepo;
let work: string;
let composeFile: string;
let port: number;

const compose = (...args: string[]) => run("docker-compose", ["-f", composeFile, "-p", project, ...args], { cwd: work, timeout: 300_000 });

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(project), [`sites/${site}.yaml`]: siteYaml(site, { database: true }) });
  work = mkdtempSync(path.join(os.tmpdir(), "simulium-compose-"));
  composeFile = path.join(work, "docker-compose.yml");
  port = await freePort();
});

afterAll(async () => {
  // Only what this project created: its containers, network and volumes.
  await compose("down", "-v", "--remove-orphans").catch(() => undefined);
  repo.cleanup();
  rmSync(work, { recursive: true, force: true });
});

test("simulium compose prints a file docker-compose accepts, with development secrets beside it", async () => {
  let out = "";
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  try {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(["node", "simulium", "compose", site, "--repo", repo.dir, "--port", String(port), "--secrets-dir", path.join(work, "secrets")]);
  } finally {
    spy.mockRestore();
  }
  writeFileSync(composeFile, out);
  expect(readdirSync(path.join(work, "secrets")).sort()).toEqual(["db-password", "db-root-password"]);
  expect(readFileSync(path.join(work, "secrets", "db-password"), "utf8")).toMatch(/^[A-Za-z0-9]{32}$/);
  expect(statSync(path.join(work, "secrets")).mode & 0o777).toBe(0o700);
  const config = await compose("config");
  expect(config.stdout).toContain(`127.0.0.1:${port}`);
});

test("docker-compose up brings the site up on the laptop, database included", async () => {
  await compose("up", "-d");
  const body = await waitFor(
    async () => {
      const r = await httpGet("127.0.0.1", port, "/").catch(() => undefined);
      return r && /db: ok/.test(r.body) ? r.body : undefined;
    },
    "the composed site to answer with its database",
    120_000,
    2000,
  );
  expect(body).toContain(`site: ${site}`);
});
