import { Registry } from "prom-client";
import pino from "pino";
import { startDaemonCron } from "../../../controller/jobs/daemon-cron";
import { carryLastGood } from "../../../controller/jobs/last-good";
import { connectDocker } from "../../../controller/engine/docker";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";

describe("jobs: a schedule follows each site's last good manifest", () => {
  it("a valid manifest gives its value, an invalid one keeps the last, a removed one is dropped", () => {
    const first = carryLastGood(new Map(), new Map([["a", 1], ["b", 1]]), []);
    expect([...first]).toEqual([["a", 1], ["b", 1]]);
    // b turns invalid: it keeps 1; a changes.
    const second = carryLastGood(first, new Map([["a", 2]]), ["b"]);
    expect([...second].sort()).toEqual([["a", 2], ["b", 1]]);
    // Still invalid on the next pass: still kept.
    const third = carryLastGood(second, new Map([["a", 2]]), ["b"]);
    expect(third.get("b")).toBe(1);
    // b's manifest removed: dropped, and not brought back when a file of that name is invalid later.
    const fourth = carryLastGood(third, new Map([["a", 2]]), []);
    expect([...fourth]).toEqual([["a", 2]]);
    expect([...carryLastGood(fourth, new Map([["a", 2]]), ["b"])]).toEqual([["a", 2]]);
  });

  it("a site invalid from the start has nothing to keep", () => {
    expect([...carryLastGood(new Map(), new Map(), ["new"])]).toEqual([]);
  });
});

describe("jobs: the daemon's cron across passes", () => {
  const ticking = site({ name: "acme", cron: [{ name: "tick", schedule: "0 3 * * *", command: ["drush", "cron"], timeout: 60, allowOverlap: false }] });
  const desired = desiredOf([]);
  const names = (c: ReturnType<typeof startDaemonCron>) => c.siteStatus("acme").map((e) => `${e.name} ${e.schedule}`);

  it("keeps a site's crons while its manifest is invalid and drops them when it is removed", async () => {
    const cron = startDaemonCron(connectDocker(), new Registry(), pino({ level: "silent" }));
    try {
      cron.update({ sites: [ticking], invalidSites: [] }, cluster(), desired);
      expect(names(cron)).toEqual(["tick 0 3 * * *"]);
      cron.update({ sites: [], invalidSites: ["acme"] }, cluster(), desired);
      expect(names(cron)).toEqual(["tick 0 3 * * *"]);
      cron.update({ sites: [{ ...ticking, cron: [{ ...ticking.cron[0]!, schedule: "0 4 * * *" }] }], invalidSites: [] }, cluster(), desired);
      expect(names(cron)).toEqual(["tick 0 4 * * *"]);
      cron.update({ sites: [], invalidSites: [] }, cluster(), desired);
      expect(names(cron)).toEqual([]);
    } finally {
      await cron.stop();
    }
  });
});
