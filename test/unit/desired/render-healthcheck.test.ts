import { execFileSync } from "node:child_process";
import { WEB_STOP_GRACE_SECONDS } from "../../../controller/desired/render";
import { diffService } from "../../../controller/plan/diff";
import { desiredOf, site } from "../../fixtures/core/builders";
import { find } from "./helpers";

describe("render: container health checks and the stop grace period", () => {
  const desired = desiredOf([site({ web: { port: 8080, healthcheck: { path: "/healthz.php?db=1&x=y", interval: 7, timeout: 3 } } })]);
  const web = find(desired, "service", "acme_web").shape;
  const db = find(desired, "service", "acme_db").shape;

  it("checks web on the site's port and health-check path, at its interval, and gives it time to stop", () => {
    expect(web.healthcheck).toMatchObject({ intervalSeconds: 7, timeoutSeconds: 4, retries: 3 });
    expect(web.healthcheck?.test[0]).toBe("CMD-SHELL");
    expect(web.healthcheck?.test[1]).toContain("'http://127.0.0.1:8080/healthz.php?db=1&x=y'");
    expect(web.stopGracePeriodSeconds).toBe(WEB_STOP_GRACE_SECONDS);
    // The old task must stay until the new one is healthy.
    expect(web.update.order).toBe("start-first");
  });

  it("does not restart web tasks when only the domains change (the check carries no Host)", () => {
    const other = desiredOf([site({ domains: ["new.example.org"], web: { port: 8080, healthcheck: { path: "/healthz.php?db=1&x=y", interval: 7, timeout: 3 } } })]);
    expect(find(other, "service", "acme_web").shape.healthcheck).toEqual(web.healthcheck);
  });

  it("checks the database as the site's user over TCP, the password read from the secret file, never written into the spec", () => {
    const script = db.healthcheck?.test[1] ?? "";
    expect(script).toContain('"$MARIADB_PASSWORD_FILE"');
    expect(script).toContain("MYSQL_PWD");
    expect(script).toContain("--protocol=tcp -h 127.0.0.1");
    expect(script).not.toMatch(/\s-p|--password/);
    expect(db.healthcheck?.startPeriodSeconds).toBeGreaterThanOrEqual(300);
  });

  it.each([
    ["web", () => web.healthcheck?.test[1] ?? ""],
    ["db", () => db.healthcheck?.test[1] ?? ""],
  ])("renders a %s check that /bin/sh parses", (_name, script) => {
    expect(() => execFileSync("sh", ["-n", "-c", script()])).not.toThrow();
  });

  it("shows a changed health check and stop grace period in the plan", () => {
    const before = { ...web, healthcheck: { ...web.healthcheck!, intervalSeconds: 30 }, stopGracePeriodSeconds: 5 };
    const fields = diffService({ shape: web, labels: {} }, { shape: before, labels: {} }).map((c) => c.field);
    expect(fields).toEqual(["healthcheck", "stopGracePeriod"]);
  });
});
