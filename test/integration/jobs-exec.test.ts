import { LABEL } from "../../controller/desired/labels";
import type { ServiceSpec } from "../../controller/desired/types";
import { connectDocker } from "../../controller/engine/docker";
import type { ApiService } from "../../controller/engine/api-types";
import { runJob } from "../../controller/jobs/run-job";
import { readLive } from "../../controller/live/read";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("exec");
const site = `${instance}-s`;
let repo: TestRepo;
let web: ServiceSpec;

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: siteYaml(site, { database: true }) });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("site with a database"));
  expect(out.result.ok).toBe(true);
  const found = out.ctx.desired.resources.find((r): r is ServiceSpec => r.kind === "service" && r.name === `${site}_web`);
  if (!found) throw new Error("no web service rendered");
  web = found;
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
});

const jobServices = async () =>
  ((await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.role}=job`] } })) as ApiService[]).map((s) => s.Spec?.Name);

test("a command's output and exit code come back, and the job service is removed", async () => {
  const seen: string[] = [];
  const ok = await runJob(docker, { web, command: ["sh", "-c", "echo hello; echo oops >&2"], timeoutSeconds: 120, onOutput: (t) => seen.push(t) });
  expect(ok.exitCode).toBe(0);
  expect(ok.output).toMatch(/^hello\noops\n$|^oops\nhello\n$/);
  expect(seen.join("")).toBe(ok.output);
  const failed = await runJob(docker, { web, command: ["sh", "-c", "exit 3"], timeoutSeconds: 120 });
  expect(failed).toEqual({ exitCode: 3, output: "" });
  expect(await jobServices()).toEqual([]);
});

test("the job has the site's environment, secrets and network: it reaches the database", async () => {
  const query = ["sh", "-c", 'mariadb -h "$DB_HOST" -u"$DB_USER" -p"$(cat "$DB_PASSWORD_FILE")" -N -e "select 40+2"'];
  // MariaDB may still be initialising right after the first apply.
  const result = await waitFor(async () => {
    const r = await runJob(docker, { web, command: query, timeoutSeconds: 120 });
    return r.exitCode === 0 ? r : undefined;
  }, "the database to answer a job", 120_000, 2000);
  expect(result.output.trim()).toBe("42");
  expect(await jobServices()).toEqual([]);
});

test("a running job is not part of the desired state: a reconcile leaves it alone", async () => {
  const running = runJob(docker, { web, command: ["sh", "-c", "sleep 6; echo survived"], timeoutSeconds: 120 });
  await waitFor(async () => (await jobServices()).length === 1, "the job service");
  expect((await readLive(docker, instance)).services.map((s) => s.name).sort()).toEqual([`${site}_db`, `${site}_web`]);
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("no change"));
  expect(out.mutations).toBe(0);
  expect(await running).toEqual({ exitCode: 0, output: "survived\n" });
});

test("simulium exec streams the output and exits with the command's code", async () => {
  const ran = await cli("exec", site, "--repo", repo.dir, "--", "sh", "-c", "echo from-cli; exit 5");
  expect(ran.code).toBe(5);
  expect(ran.out).toBe("from-cli\n");
  expect(await jobServices()).toEqual([]);
});

