import { execFileSync } from "node:child_process";
import { DaemonOptions, RunningDaemon, startDaemon } from "../../controller/daemon/daemon";
import { quietLog } from "./reconcile";

/**
 * The daemon as integration tests run it: on a loopback port the OS picks, quiet, polling the
 * engine every 0.5 s while it converges, and never polling or resyncing on its own (3600 s), so
 * each run is caused by the step under test. Overrides win.
 */
export function startTestDaemon(options: Pick<DaemonOptions, "repo" | "stateDir"> & Partial<DaemonOptions>): Promise<RunningDaemon> {
  return startDaemon({
    branch: "main",
    listen: { host: "127.0.0.1", port: 0 },
    pollSeconds: 3600,
    resyncSeconds: 3600,
    log: quietLog,
    convergePollMs: 500,
    ...options,
  });
}

/** git with a fixed author and no user or system configuration (HOME is `home`); returns trimmed stdout. */
export function testGit(home: string): (cwd: string, ...args: string[]) => string {
  return (cwd, ...args) =>
    execFileSync("git", ["-c", "user.name=Grace Operator", "-c", "user.email=grace@example.org", "-c", "commit.gpgsign=false", ...args], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: home },
    }).trim();
}
