import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LOAD_SWAP_EXIT, loadAndSwapScript } from "../../controller/database/load-swap";
import { cleanupNamespace, docker as harnessDocker, execIn, image, namespace, waitFor } from "../harness";

/**
 * The load-and-swap script in the tools image against the real MariaDB image, both plain
 * containers on a private network. Dumps are made with mariadb-dump from a schema `origin` on
 * the same server, with --databases and --add-drop-database, so the dump names another
 * database (and would drop it) unless the script keeps it in staging.
 */
const docker = harnessDocker();
const ns = namespace();
const TOOLS_IMAGE = "simulium/backup:local";
const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-load-swap-"));
// Quotes, a backslash, a hash and spaces: the option file must carry it exactly.
const ROOT_PASSWORD = `r"oo\\t #pw' x`;
const SITE_PASSWORD = "site-pw-for-tests";
const db = `${ns.name}-db`;
const net = `${ns.name}-net`;

const ORIGIN = `
CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(40)) ENGINE=InnoDB;
CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, FOREIGN KEY (parent_id) REFERENCES parent (id)) ENGINE=InnoDB;
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, msg VARCHAR(80));
INSERT INTO parent VALUES (1, 'imported one'), (2, 'imported two');
INSERT INTO child VALUES (10, 1);
CREATE VIEW parent_names AS SELECT name FROM parent;
DELIMITER ;;
CREATE TRIGGER parent_ai AFTER INSERT ON parent FOR EACH ROW BEGIN
  INSERT INTO audit (msg) VALUES (CONCAT('added ', NEW.name));
END;;
CREATE FUNCTION civicrm_strip_non_numeric(s VARCHAR(255)) RETURNS VARCHAR(255) DETERMINISTIC RETURN REGEXP_REPLACE(s, '[^0-9]', '');;
DELIMITER ;
`;

// What a dump from the old host carries: objects whose definer is a user of that host.
const FOREIGN_DEFINERS = `
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=\`civi_user\`@\`localhost\` SQL SECURITY DEFINER */
/*!50001 VIEW \`first_parent\` AS select \`parent\`.\`name\` AS \`name\` from \`parent\` where \`parent\`.\`id\` = 1 */;
DELIMITER ;;
CREATE DEFINER=\`civi_user\`@\`localhost\` FUNCTION \`civicrm_half\`(x INT) RETURNS int(11) DETERMINISTIC RETURN x DIV 2 ;;
DELIMITER ;
`;

interface Run {
  readonly exitCode: number;
  readonly output: string;
}

/** SQL through the server's own client, as root (socket) or as the site user. */
async function sql(statement: string, as: "root" | "site" = "root", schema = ""): Promise<string> {
  const login = as === "root" ? `-uroot -p"$(cat /w/root-password)"` : `-usite -p${SITE_PASSWORD}`;
  const r = await execIn(docker, db, ["sh", "-c", `mariadb ${login} -N -B ${schema} -e "$1"`, "sql", statement]);
  if (r.exitCode !== 0) throw new Error(`mariadb exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout.trim();
}

async function runLoadSwap(dump: string, env: Record<string, string> = {}): Promise<Run> {
  const vars = { DB_HOST: db, DB_NAME: "site", DB_USER: "site", DB_ROOT_PASSWORD_FILE: "/w/root-password", ...env };
  const container = await docker.createContainer({
    Image: TOOLS_IMAGE,
    Cmd: ["sh", "-c", loadAndSwapScript(), "load-swap", `/w/${dump}`],
    Env: Object.entries(vars).map(([k, v]) => `${k}=${v}`),
    Labels: ns.labels,
    HostConfig: { Binds: [`${dir}:/w:ro`], NetworkMode: net },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    return { exitCode: StatusCode, output: demux(logs) };
  } finally {
    await container.remove({ force: true });
  }
}

/** Docker's multiplexed log frames (8-byte header each) to text. */
function demux(buf: Buffer): string {
  let out = "";
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString("utf8");
    i += 8 + len;
  }
  return out;
}

/** mariadb-dump run in the database container, written to the shared directory. */
async function dumpOrigin(file: string, args = "--databases origin"): Promise<void> {
  const r = await execIn(docker, db, ["sh", "-c", `mariadb-dump -uroot -p"$(cat /w/root-password)" --routines --add-drop-database ${args}`]);
  if (r.exitCode !== 0) throw new Error(`mariadb-dump exited ${r.exitCode}: ${r.stderr}`);
  writeFileSync(path.join(dir, file), r.stdout);
}

const schemas = async () => (await sql("SHOW DATABASES")).split("\n");
const liveObjects = () =>
  sql(
    "SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='site' UNION ALL SELECT CONCAT('view ', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA='site' UNION ALL SELECT CONCAT('function ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='site' ORDER BY 1",
  );
const liveRows = () => sql("SELECT id, name FROM parent ORDER BY id", "site", "site");

/**
 * From the container's start: wait until the usual socket answers, then require it to keep
 * answering for 4 s. The initialising server must not listen there: a client that reached it
 * lost it a moment later, when the entrypoint stopped it (this file's setup failed so on CI).
 * `ping` answers for a live server even when access is denied, so no password is needed.
 */
const SOCKET_WATCH = `
for i in $(seq 1 1200); do mariadb-admin --socket=/run/mysqld/mysqld.sock -uroot ping >/dev/null 2>&1 && break; sleep 0.1; done
for i in $(seq 1 40); do
  mariadb-admin --socket=/run/mysqld/mysqld.sock -uroot ping >/dev/null 2>&1 || { echo "the socket stopped answering $i checks after its first answer"; exit 1; }
  sleep 0.1
done
echo steady`;
let socketWatch: { exitCode: number; stdout: string } = { exitCode: -1, stdout: "" };

beforeAll(async () => {
  writeFileSync(path.join(dir, "root-password"), ROOT_PASSWORD + "\n");
  chmodSync(dir, 0o755);
  await docker.createNetwork({ Name: net, Labels: ns.labels, Driver: "bridge" });
  const container = await docker.createContainer({
    name: db,
    Image: image("mariadb"),
    Env: ["MARIADB_ROOT_PASSWORD_FILE=/w/root-password", "MARIADB_DATABASE=site", "MARIADB_USER=site", `MARIADB_PASSWORD=${SITE_PASSWORD}`],
    Labels: ns.labels,
    HostConfig: { Binds: [`${dir}:/w:ro`], NetworkMode: net },
  });
  await container.start();
  socketWatch = await execIn(docker, db, ["sh", "-c", SOCKET_WATCH]);
  await waitFor(() => sql("SELECT 1").then((r) => r === "1"), { what: "MariaDB to accept connections", timeout: 120_000 });
  await sql(`CREATE DATABASE origin; USE origin; ${ORIGIN.replace(/DELIMITER ;;[\s\S]*DELIMITER ;/, "")}`);
  // Trigger and function bodies need their own delimiter: through stdin, as a dump loads them.
  const body = ORIGIN.slice(ORIGIN.indexOf("DELIMITER ;;"));
  const r = await execIn(docker, db, ["sh", "-c", `printf '%s' "$1" | mariadb -uroot -p"$(cat /w/root-password)" origin`, "sql", body]);
  if (r.exitCode !== 0) throw new Error(`cannot create the origin triggers: ${r.stderr}`);
  // The site as it was before the import: a table the dump does not have.
  await sql("CREATE TABLE existing (v VARCHAR(20)); INSERT INTO existing VALUES ('before import')", "site", "site");
  await dumpOrigin("origin.sql");
  writeFileSync(path.join(dir, "origin.sql"), readFileSync(path.join(dir, "origin.sql"), "utf8") + FOREIGN_DEFINERS);
});

afterAll(async () => {
  await cleanupNamespace(docker, ns);
  rmSync(dir, { recursive: true, force: true });
});

test("the server's usual socket answers only once the server is there to stay", () => {
  expect(socketWatch).toMatchObject({ exitCode: 0, stdout: expect.stringContaining("steady") });
});

test("a plain dump with a trigger, a view, a function and foreign keys is swapped in", async () => {
  const run = await runLoadSwap("origin.sql");
  expect(run).toMatchObject({ exitCode: LOAD_SWAP_EXIT.swapped });
  expect(run.output).toContain("swapped: site holds the dump; the tables it replaced are in site__previous");
  expect(run.output).not.toContain(ROOT_PASSWORD);

  expect(await liveRows()).toBe("1\timported one\n2\timported two");
  expect(await sql("SELECT v FROM existing", "root", "site__previous")).toBe("before import");
  expect(await schemas()).not.toContain("site__incoming");
  // The dump's CREATE/DROP DATABASE and USE never reached the server: origin is as it was.
  expect(await sql("SELECT COUNT(*) FROM parent", "root", "origin")).toBe("2");

  // Objects re-created in the live schema, run by the site user (its grants name the schema).
  await sql("INSERT INTO parent VALUES (3, 'via the site user')", "site", "site");
  expect(await sql("SELECT msg FROM audit", "site", "site")).toBe("added via the site user");
  expect(await sql("SELECT COUNT(*) FROM parent_names", "site", "site")).toBe("3");
  expect(await sql("SELECT civicrm_strip_non_numeric('a1-b2')", "site", "site")).toBe("12");
  expect(await sql("SELECT DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='site'")).toBe("site@%");
  // Objects defined by the old host's user work here, as the site's user.
  expect(await sql("SELECT name FROM first_parent", "site", "site")).toBe("imported one");
  expect(await sql("SELECT civicrm_half(9)", "site", "site")).toBe("4");
  expect(await sql("SELECT DISTINCT DEFINER FROM information_schema.VIEWS WHERE TABLE_SCHEMA='site' UNION SELECT DEFINER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='site'")).toBe("site@%");
  expect(await sql("SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA='site' AND TABLE_NAME='child'")).toBe("1");
});

test("a dump that fails half-way leaves the live data untouched and drops staging", async () => {
  writeFileSync(path.join(dir, "broken.sql"), "CREATE TABLE half (id INT);\nINSERT INTO half VALUES (1);\nTHIS IS NOT SQL;\n");
  const before = await liveRows();
  const run = await runLoadSwap("broken.sql");
  expect(run.exitCode).toBe(LOAD_SWAP_EXIT.loadFailed);
  expect(run.output).toMatch(/the dump failed to load: ERROR 1064 .* at line 3/);
  expect(run.output).toContain("the live database site is untouched, the staging schema site__incoming was dropped");
  expect(await liveRows()).toBe(before);
  expect(await schemas()).not.toContain("site__incoming");
  expect(await sql("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='site'")).toBe("1");
});

test("a gzip dump is swapped in and replaces the previous swap's tables", async () => {
  await sql("INSERT INTO parent VALUES (4, 'four')", "root", "origin");
  await dumpOrigin("origin4.sql");
  execFileSync("gzip", ["-f", path.join(dir, "origin4.sql")]);
  const replaced = await liveRows();
  const run = await runLoadSwap("origin4.sql.gz");
  expect(run.exitCode).toBe(LOAD_SWAP_EXIT.swapped);
  expect(await liveRows()).toBe("1\timported one\n2\timported two\n4\tfour");
  expect(await sql("SELECT id, name FROM parent ORDER BY id", "root", "site__previous")).toBe(replaced);
  expect(await sql("SHOW TABLES LIKE 'existing'", "root", "site__previous")).toBe("");
  // The replaced schema keeps its trigger, so swapping back by hand gives the whole site back.
  expect(await sql("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='site__previous'")).toBe("1");
});

test("a truncated gzip dump and a dump of several databases are refused, live untouched", async () => {
  const gz = readFileSync(path.join(dir, "origin4.sql.gz"));
  writeFileSync(path.join(dir, "cut.sql.gz"), gz.subarray(0, Math.floor(gz.length / 2)));
  await sql("CREATE DATABASE IF NOT EXISTS other; CREATE TABLE IF NOT EXISTS other.t (a INT)");
  await dumpOrigin("two.sql", "--databases origin other");
  const before = await liveRows();

  const cut = await runLoadSwap("cut.sql.gz");
  expect(cut.exitCode).toBe(LOAD_SWAP_EXIT.loadFailed);
  expect(cut.output).toMatch(/cannot read \/w\/cut\.sql\.gz: .*unexpected end of file/);
  const two = await runLoadSwap("two.sql");
  expect(two.exitCode).toBe(LOAD_SWAP_EXIT.loadFailed);
  expect(two.output).toContain("the dump holds more than one database (origin, other)");

  expect(await liveRows()).toBe(before);
  expect(await schemas()).not.toContain("site__incoming");
  expect(await sql("SELECT COUNT(*) FROM parent", "root", "origin")).toBe("3");
});

test("a swap blocked by a session holding a live table fails with exit 4 and says nothing was swapped", async () => {
  const before = await liveRows();
  const objectsBefore = await liveObjects();
  expect(objectsBefore).toBe("function civicrm_strip_non_numeric\ntrigger parent_ai\nview parent_names");
  // An open transaction that read `child` holds its metadata lock until it ends.
  const holder = execIn(docker, db, ["sh", "-c", `mariadb -usite -p${SITE_PASSWORD} site -e "START TRANSACTION; SELECT COUNT(*) FROM child; SELECT SLEEP(12); COMMIT"`]);
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const run = await runLoadSwap("origin.sql", { LOCK_WAIT_SECONDS: "2" });
    expect(run.exitCode).toBe(LOAD_SWAP_EXIT.swapFailed);
    expect(run.output).toMatch(/the rename failed: .*Lock wait timeout/);
    expect(run.output).toContain(
      "nothing was swapped: the live tables of site are as they were and their triggers, views and routines are in place; the staging schema site__incoming was dropped, site__previous is empty",
    );
  } finally {
    await holder;
  }
  expect(await liveRows()).toBe(before);
  expect(await sql("SELECT CONCAT(TRIGGER_NAME, ' ', DEFINER) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='site'")).toBe("parent_ai site@%");
  expect(await sql("SELECT COUNT(*) FROM parent_names", "site", "site")).toBe("3");
  expect(await liveObjects()).toBe(objectsBefore);
  expect(await schemas()).not.toContain("site__incoming");
});
