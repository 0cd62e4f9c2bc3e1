import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DUMP_FILTER_AWK } from "../../../controller/database/dump-filter";
import { LOAD_SWAP_EXIT, loadAndSwapScript, MAX_DB_NAME_LENGTH } from "../../../controller/database/load-swap";

/**
 * The generated script's own checks and the dump filter, run by the local sh and awk: they
 * stop before any database call, so no server is needed (the integration test has one).
 */
const script = loadAndSwapScript();
const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-load-swap-unit-"));
const passwordFile = path.join(dir, "pw");
writeFileSync(passwordFile, "secret\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runScript(args: string[], env: Record<string, string>) {
  const r = spawnSync("sh", ["-c", script, "load-swap", ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, encoding: "utf8" });
  return { code: r.status, stderr: r.stderr };
}

function filter(text: string) {
  const r = spawnSync("awk", ["-v", "bq=`", DUMP_FILTER_AWK], { input: text, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const env = { DB_HOST: "db", DB_NAME: "site", DB_ROOT_PASSWORD_FILE: passwordFile };

describe("loadAndSwapScript", () => {
  test("is valid POSIX sh and uses each exit code", () => {
    expect(spawnSync("sh", ["-n", "-c", script]).status).toBe(0);
    expect(new Set(Object.values(LOAD_SWAP_EXIT)).size).toBe(Object.keys(LOAD_SWAP_EXIT).length);
    for (const code of [LOAD_SWAP_EXIT.usage, LOAD_SWAP_EXIT.loadFailed, LOAD_SWAP_EXIT.swapFailed]) expect(script).toContain(`fail ${code} `);
    expect(script).toContain(`exit ${LOAD_SWAP_EXIT.swapped}\n`);
  });

  test("embeds the dump filter in single quotes, which the filter never contains", () => {
    expect(DUMP_FILTER_AWK).not.toContain("'");
    expect(script).toContain(`'${DUMP_FILTER_AWK}'`);
  });

  test("never puts the root password on a command line: it goes into a 0600 option file", () => {
    expect(script).toMatch(/umask 077/);
    expect(script).toContain("--defaults-extra-file=\"$cnf\"");
    expect(script).not.toMatch(/-p"?\$|--password=/);
  });

  test("refuses a missing dump argument or environment with the usage code, touching nothing", () => {
    expect(runScript([], env)).toMatchObject({ code: LOAD_SWAP_EXIT.usage, stderr: expect.stringContaining("usage: load-swap DUMPFILE") });
    expect(runScript(["/x.sql"], { DB_HOST: "db", DB_NAME: "site" })).toMatchObject({
      code: LOAD_SWAP_EXIT.usage,
      stderr: "load-swap: DB_ROOT_PASSWORD_FILE is not set\n",
    });
  });

  test("refuses database names that are not plain identifiers or leave no room for the suffixes", () => {
    for (const name of ["Site", "1site", "si-te", "si`te", "a".repeat(MAX_DB_NAME_LENGTH + 1)]) {
      expect(runScript(["/x.sql"], { ...env, DB_NAME: name }).code).toBe(LOAD_SWAP_EXIT.usage);
    }
    expect(runScript(["/x.sql"], { ...env, DB_USER: "bad user" }).stderr).toBe("load-swap: DB_USER may hold only a-z, 0-9 and _\n");
    expect(runScript(["/x.sql"], { ...env, LOCK_WAIT_SECONDS: "1; DROP" }).code).toBe(LOAD_SWAP_EXIT.usage);
  });

  test("a dump it cannot read is a load failure", () => {
    expect(runScript([path.join(dir, "missing.sql")], { ...env, DB_NAME: "a".repeat(MAX_DB_NAME_LENGTH) })).toEqual({
      code: LOAD_SWAP_EXIT.loadFailed,
      stderr: `load-swap: cannot read the dump ${path.join(dir, "missing.sql")}\n`,
    });
  });
});

describe("the dump filter", () => {
  test("leaves out CREATE/DROP DATABASE and USE of the dump's database, keeping line numbers", () => {
    const dump = [
      "/*!40000 DROP DATABASE IF EXISTS `civi`*/;",
      "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `civi` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;",
      "USE `civi`;",
      "use civi;",
      "CREATE TABLE `t` (a int);",
      "INSERT INTO `t` VALUES ('USE `other`; CREATE DATABASE x');",
      "create schema civi;",
    ].join("\n");
    const r = filter(dump + "\n");
    expect(r.code).toBe(0);
    expect(r.out).toBe(["", "", "", "", "CREATE TABLE `t` (a int);", "INSERT INTO `t` VALUES ('USE `other`; CREATE DATABASE x');", "", ""].join("\n"));
    expect(r.err).toBe("load-swap: left out 5 statements naming a database (the dump loads into staging)\n");
  });

  test("makes ALTER DATABASE apply to the session's database (staging)", () => {
    expect(filter("ALTER DATABASE `civi` CHARACTER SET utf8 COLLATE utf8_unicode_ci ;;\n").out).toBe("ALTER DATABASE  CHARACTER SET utf8 COLLATE utf8_unicode_ci ;;\n");
  });

  test("refuses a dump of several databases", () => {
    const r = filter("USE `civi`;\nCREATE TABLE a (x int);\nCREATE DATABASE `drupal`;\nUSE `drupal`;\n");
    expect(r.code).toBe(65);
    expect(r.err).toContain("the dump holds more than one database (civi, drupal): import a dump of one database");
  });

  test("gives objects the loading user as definer (the old server's users do not exist here), leaving data alone", () => {
    const dump = [
      "/*!50013 DEFINER=`civi_user`@`localhost` SQL SECURITY DEFINER */",
      "/*!50003 CREATE*/ /*!50017 DEFINER='old'@'%'*/ /*!50003 TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW SET @x = 1 */;;",
      "CREATE DEFINER=drupal@10.0.0.% FUNCTION f() RETURNS INT RETURN 1;;",
      "INSERT INTO `docs` VALUES ('DEFINER=`a`@`b`');",
    ].join("\n");
    expect(filter(dump + "\n").out).toBe(
      [
        "/*!50013 DEFINER=CURRENT_USER SQL SECURITY DEFINER */",
        "/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW SET @x = 1 */;;",
        "CREATE DEFINER=CURRENT_USER FUNCTION f() RETURNS INT RETURN 1;;",
        "INSERT INTO `docs` VALUES ('DEFINER=`a`@`b`');",
        "",
      ].join("\n"),
    );
  });

  test("passes a dump without database statements through unchanged", () => {
    const dump = "-- MariaDB dump\n/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE `users` (uid int);\nINSERT INTO `users` VALUES (1),(2);\n";
    expect(filter(dump)).toEqual({ code: 0, out: dump, err: "" });
  });
});
