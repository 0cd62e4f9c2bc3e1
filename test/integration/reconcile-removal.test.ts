import { connectDocker } from "../../controller/engine/docker";
import { readLive } from "../../controller/live/read";
import { planRepo } from "../../controller/features";
import { MassDeletionRefused } from "../../controller/reconcile/reconcile";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo, waitForPage } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("rm");
const keep = `${instance}-keep`;
const gone = `${instance}-gone`;
const doomed = `${instance}-doomed`;
let repo: TestRepo;

beforeAll(async () => {
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance),
    [`sites/${keep}.yaml`]: siteYaml(keep),
    [`sites/${gone}.yaml`]: siteYaml(gone, { database: true }),
    [`sites/${doomed}.yaml`]: siteYaml(doomed, { deletionPolicy: "Delete" }),
  });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("three sites"));
  expect(out.result.ok).toBe(true);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
});

const objectsOf = async (site: string) => {
  const live = await readLive(docker, instance);
  const names = (list: readonly { site: string | null; name: string }[]) => list.filter((o) => o.site === site).map((o) => o.name).sort();
  return { services: names(live.services), volumes: names(live.volumes), secrets: names(live.secrets), networks: names(live.networks) };
};

test("an emptied checkout is refused by the mass-deletion guard", async () => {
  for (const s of [keep, gone, doomed]) repo.remove(`sites/${s}.yaml`);
  const commit = await repo.commit("oops: everything removed");
  await expect(reconcileRepo(docker, repo.dir, commit)).rejects.toThrow(MassDeletionRefused);
  expect((await objectsOf(keep)).services).toEqual([`${keep}_web`]);
  await repo.commit("restore"); // nothing was applied; put the files back for the next tests
});

test("a removed site loses its services and network but keeps its volumes, database data and secrets", async () => {
  repo.write(`sites/${keep}.yaml`, siteYaml(keep));
  repo.write(`sites/${gone}.yaml`, siteYaml(gone, { database: true }));
  repo.write(`sites/${doomed}.yaml`, siteYaml(doomed, { deletionPolicy: "Delete" }));
  await repo.commit("back");
  await reconcileRepo(docker, repo.dir, "back");
  await waitForPage(docker, `${gone}_web`, /db: ok/);
  // Data in the files volume and in the database, to be found again after the round trip.
  const marker = `marker-${instance}`;
  expect((await execInService(docker, `${gone}_web`, ["sh", "-c", `echo ${marker} > /var/www/html/files/marker.txt`])).exitCode).toBe(0);
  const sql = `CREATE TABLE IF NOT EXISTS notes (v VARCHAR(64)); INSERT INTO notes VALUES ('${marker}');`;
  const insert = await execInService(docker, `${gone}_db`, ["sh", "-c", `mariadb -usite -p"$(cat /run/secrets/db-password)" site -e "${sql}"`]);
  expect(insert).toMatchObject({ exitCode: 0 });

  repo.remove(`sites/${gone}.yaml`);
  const out = await reconcileRepo(docker, repo.dir, await repo.commit(`remove ${gone}`));
  expect(out.result.ok).toBe(true);
  expect(out.ctx.plan.sites).toContainEqual({ site: gone, state: "removed" });
  const retained = out.ctx.plan.actions.filter((a) => a.site === gone && a.op === "retain").map((a) => a.kind).sort();
  expect(retained).toEqual(["secret", "secret", "volume", "volume"]);
  // Swarm removes a network asynchronously, once its last endpoint is released.
  const left = await waitFor(async () => {
    const o = await objectsOf(gone);
    return o.networks.length === 0 ? o : undefined;
  }, "the removed site's network to go", 30_000);
  expect(left.services).toEqual([]);
  expect(left.volumes).toEqual([`${gone}_db-data`, `${gone}_files`]);
  expect(left.secrets).toHaveLength(2);

  // A retained site is reported, not changed, by the next plan.
  const again = await planRepo(docker, repo.dir);
  expect(again.plan.actions.filter((a) => a.site === gone).every((a) => a.op === "retain")).toBe(true);
  expect(again.plan.sites).toContainEqual({ site: gone, state: "retained" });

  // Added back: the same volumes and passwords, so the same data.
  repo.write(`sites/${gone}.yaml`, siteYaml(gone, { database: true }));
  const back = await reconcileRepo(docker, repo.dir, await repo.commit(`re-add ${gone}`));
  expect(back.result.ok).toBe(true);
  await waitForPage(docker, `${gone}_web`, /db: ok/);
  expect((await execInService(docker, `${gone}_web`, ["cat", "/var/www/html/files/marker.txt"])).output.trim()).toBe(marker);
  const select = await execInService(docker, `${gone}_db`, ["sh", "-c", `mariadb -N -usite -p"$(cat /run/secrets/db-password)" site -e "SELECT v FROM notes"`]);
  expect(select.output.trim()).toBe(marker);
});

test("a site committed with deletionPolicy: Delete loses its data when removed", async () => {
  expect((await objectsOf(doomed)).volumes).toEqual([`${doomed}_files`]);
  repo.remove(`sites/${doomed}.yaml`);
  const out = await reconcileRepo(docker, repo.dir, await repo.commit(`remove ${doomed}`));
  expect(out.result.ok).toBe(true);
  const deleted = out.ctx.plan.actions.filter((a) => a.site === doomed && a.op === "delete").map((a) => `${a.kind} ${a.name}`);
  expect(deleted).toContain(`volume ${doomed}_files`);
  const left = await waitFor(async () => {
    const o = await objectsOf(doomed);
    return o.networks.length === 0 ? o : undefined;
  }, "the removed site's network to go", 30_000);
  expect(left).toEqual({ services: [], volumes: [], secrets: [], networks: [] });
});

test("a suspended site is left exactly as it runs, and shown as suspended", async () => {
  const before = (await readLive(docker, instance)).services.find((s) => s.name === `${keep}_web`);
  repo.write(`sites/${keep}.yaml`, siteYaml(keep, { suspend: true, version: "9" }));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("suspend keep"));
  expect(out.ctx.plan.sites).toContainEqual({ site: keep, state: "suspended" });
  expect(out.ctx.plan.actions.filter((a) => a.site === keep)).toEqual([]);
  const after = (await readLive(docker, instance)).services.find((s) => s.name === `${keep}_web`);
  expect(after?.version).toBe(before?.version);
});
