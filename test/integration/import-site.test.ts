import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import type { ApiService } from "../../controller/engine/api-types";
import { connectDocker } from "../../controller/engine/docker";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo, waitForPage } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * `simulium import` on the real swarm: a dump and a files archive go into a fresh site and
 * are read back through its web page (a PHP page that came with the files and reads the
 * imported rows); a broken dump and a bad archive leave the site as it was, with a clear error.
 */
const docker = connectDocker();
const instance = testInstance("imp");
const site = `${instance}-i`;
const web = `${site}_web`;
const TOOLS_IMAGE = "simulium/backup:local";
const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-import-"));
let repo: TestRepo;

// The site being moved in: a table, a trigger (as CiviCRM's logging makes) and a view.
const DUMP = `-- MariaDB dump of the old host
CREATE DATABASE /*!32312 IF NOT EXISTS*/ \`oldsite\`;
USE \`oldsite\`;
CREATE TABLE articles (id INT PRIMARY KEY, title VARCHAR(80)) DEFAULT CHARSET=utf8mb4;
CREATE TABLE articles_log (id INT AUTO_INCREMENT PRIMARY KEY, title VARCHAR(80));
INSERT INTO articles VALUES (1, 'Moved in: first article'), (2, 'Moved in: second article');
CREATE VIEW article_titles AS SELECT title FROM articles;
DELIMITER ;;
CREATE TRIGGER articles_ai AFTER INSERT ON articles FOR EACH ROW INSERT INTO articles_log (title) VALUES (NEW.title);;
DELIMITER ;
`;

// Served from the files volume (mounted at /var/www/html/files): the rows through the site's
// own database credentials, as Drupal would read them.
const PROBE = `<?php
$db = new mysqli(getenv('DB_HOST'), getenv('DB_USER'), rtrim(file_get_contents(getenv('DB_PASSWORD_FILE'))), getenv('DB_NAME'));
foreach ($db->query('SELECT title FROM article_titles ORDER BY title') as $row) echo "row: ", $row['title'], "\\n";
echo "owner: ", fileowner(__FILE__), "\\n";
`;

const probe = async (): Promise<string> => {
  const r = await execInService(docker, web, ["curl", "-fsS", "--max-time", "5", "http://127.0.0.1/files/probe.php"]);
  if (r.exitCode !== 0) throw new Error(`probe.php: ${r.output}`);
  return r.output;
};
const webReplicas = async () => ((await docker.getService(web).inspect()) as ApiService).Spec?.Mode?.Replicated?.Replicas;
const importCli = (...args: string[]) => cli("import", site, "--image", TOOLS_IMAGE, "--repo", repo.dir, "--timeout", "300", ...args);

function tarGz(name: string, files: Record<string, string>): string {
  const src = path.join(dir, `${name}-src`);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(src, file)), { recursive: true });
    writeFileSync(path.join(src, file), text);
  }
  const out = path.join(dir, `${name}.tar.gz`);
  execFileSync("tar", ["-C", src, "-czf", out, "."]);
  return out;
}

beforeAll(async () => {
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance),
    [`sites/${site}.yaml`]: siteYaml(site, { database: true }),
  });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("site"));
  expect(out.result.ok).toBe(true);
  await waitForPage(docker, web, /db: ok/, 180_000);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("a gzip dump and a files archive are imported and served by the site's web page", async () => {
  const dump = path.join(dir, "site.sql.gz");
  writeFileSync(dump, zlib.gzipSync(DUMP));
  const files = tarGz("files", { "probe.php": PROBE, "sites/logo.txt": "logo\n", ".htaccess": "Options -Indexes\n" });

  const r = await importCli("--db", dump, "--files", files);
  expect(r.code).toBe(0);
  expect(r.out).toBe(`${site} imported: database site swapped in (the tables it replaced are in site__previous); files of volume files replaced\nrouting: no Varnish configured\n`);

  const text = await waitFor(() => probe().catch(() => undefined), "probe.php to answer after web is back", 120_000, 1000);
  expect(text).toBe("row: Moved in: first article\nrow: Moved in: second article\nowner: 33\n");
  expect(await webReplicas()).toBe(1);
  const listing = await execInService(docker, web, ["sh", "-c", "cd /var/www/html/files && ls -A | sort && stat -c '%u:%g' sites/logo.txt ."]);
  expect(listing.output).toBe(".htaccess\nprobe.php\nsites\n33:33\n33:33\n");
  // The trigger moved with its table and fires for the site's own user.
  const insert = await execInService(docker, web, [
    "sh",
    "-c",
    `mariadb -h "$DB_HOST" -u"$DB_USER" -p"$(cat "$DB_PASSWORD_FILE")" "$DB_NAME" -N -e "INSERT INTO articles VALUES (3, 'Written after the move'); SELECT title FROM articles_log"`,
  ]);
  expect(insert.output.trim()).toBe("Written after the move");
});

test("a dump that fails to load leaves the database and the files as they were, with a clear error", async () => {
  const before = await probe();
  const broken = path.join(dir, "broken.sql");
  writeFileSync(broken, "CREATE TABLE articles (id INT PRIMARY KEY);\nINSERT INTO articles VALUES (1);\nINSERT INTO nowhere VALUES (1);\n");
  const newFiles = path.join(dir, "new-files");
  mkdirSync(newFiles, { recursive: true });
  writeFileSync(path.join(newFiles, "probe.php"), "<?php echo 'replaced';\n");

  await expect(importCli("--db", broken, "--files", newFiles)).rejects.toThrow(
    /the import of .* failed \(exit 3\): load-swap: the dump failed to load: ERROR 1146 .*at line 3: Table 'site__incoming.nowhere' doesn't exist; the live database site is untouched, the staging schema site__incoming was dropped \/ import: the database import failed \(the state is the line above\); the files of files are as they were/,
  );
  expect(await waitFor(() => probe().catch(() => undefined), "probe.php after the failed import", 120_000, 1000)).toBe(before);
  expect(await webReplicas()).toBe(1);
});

test("a bad files archive is refused before anything changes, and one that cannot be unpacked changes nothing", async () => {
  const before = await probe();
  const notTar = path.join(dir, "notes.tar.gz");
  writeFileSync(notTar, zlib.gzipSync("just some notes\n"));
  await expect(importCli("--files", notTar)).rejects.toThrow(`the files archive ${notTar} is gzip but does not hold a tar archive`);
  await expect(importCli("--files", path.join(dir, "missing-dir"))).rejects.toThrow(`--files ${path.join(dir, "missing-dir")} does not exist`);

  // A real tar.gz cut in half: it passes the first look, and fails when unpacked in the job.
  const whole = tarGz("big", { "blob.bin": Buffer.from(Array.from({ length: 400_000 }, (_, i) => (i * 7919) % 251)).toString("latin1") });
  const cut = path.join(dir, "cut.tar.gz");
  const bytes = execFileSync("cat", [whole]);
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await expect(importCli("--files", cut)).rejects.toThrow(/failed \(exit 5\): import: the files archive cannot be unpacked: .*- nothing was changed/);
  expect(await waitFor(() => probe().catch(() => undefined), "probe.php after the refused archive", 120_000, 1000)).toBe(before);
  const listing = await execInService(docker, web, ["sh", "-c", "ls -A /var/www/html/files | sort"]);
  expect(listing.output).toBe(".htaccess\nprobe.php\nsites\n");
});

test("a site that is not applied, an unknown site and inputs that are not what they claim are refused up front", async () => {
  const other = `${instance}-na`;
  repo.write(`sites/${other}.yaml`, siteYaml(other, { database: true }));
  const dump = path.join(dir, "site.sql.gz");
  await expect(cli("import", other, "--db", dump, "--image", TOOLS_IMAGE, "--repo", repo.dir)).rejects.toThrow(
    `site ${other} is not applied: there is no service ${other}_web (simulium apply --site ${other})`,
  );
  await expect(cli("import", `${instance}-nope`, "--db", dump, "--image", TOOLS_IMAGE, "--repo", repo.dir)).rejects.toThrow(`site ${instance}-nope has no manifest in ${repo.dir}/sites`);
  await expect(importCli("--db", path.join(dir, "missing.sql"))).rejects.toThrow(`the dump ${path.join(dir, "missing.sql")} does not exist`);
  await expect(importCli("--db", path.join(dir, "files.tar.gz"))).rejects.toThrow(`the dump ${path.join(dir, "files.tar.gz")} is gzip but does not hold an SQL dump`);
  await expect(importCli("--files", path.join(dir, "files.tar.gz"), "--volume", "uploads")).rejects.toThrow(`site ${site} has no volume uploads (its volumes: files)`);
  await expect(cli("import", site, "--db", dump, "--repo", repo.dir)).rejects.toThrow(/^no tools image to run the import in: pass --image/);
  // None of these started a job or touched web.
  expect(await webReplicas()).toBe(1);
  const jobs = await docker.listServices({ filters: { name: [`${site}_import-`] } });
  expect(jobs).toEqual([]);
});
