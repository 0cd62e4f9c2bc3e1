import { renderDesired } from "../../../controller/desired/render";
import type { DesiredState } from "../../../controller/desired/types";
import { loadFiles } from "../../../controller/manifests/load";
import { makePlan } from "../../../controller/plan/plan";
import { isMutation } from "../../../controller/plan/types";
import { composeFiles, composeText } from "../../../bench/compose";
import { ApiBodies, apiFromDesired, liveFromDesired, onePercent, siteNames, syntheticRepo } from "../../../bench/synthetic";
import { liveFromApi } from "../../../controller/live/read";
import type { LiveState } from "../../../controller/live/types";

function desiredOf(count: number): DesiredState {
  const load = loadFiles(syntheticRepo("bench", "s", count));
  if (!load.cluster) throw new Error(load.errors.map((e) => e.message).join("; "));
  expect(load.errors).toEqual([]);
  return renderDesired({ sites: load.sites, cluster: load.cluster });
}

describe("bench compose renderer", () => {
  const desired = desiredOf(2);
  const stacks = composeFiles(desired, (name) => `/secrets/${name}`);

  it("writes one stack per site, named so the stack's objects get simulium's names", () => {
    expect(stacks.map((s) => s.stack)).toEqual(["s0", "s1"]);
    const c = stacks[0]!.compose;
    expect(Object.keys(c.services).sort()).toEqual(["db", "web"]);
    expect(Object.keys(c.volumes).sort()).toEqual(["db-data", "files"]);
    expect(c.networks.edge).toEqual({ external: true, name: "bench_edge" });
    expect(c.networks.default).toMatchObject({ driver: "overlay", attachable: true });
  });

  it("keeps dnsrr, versioned secret names from files, and the database off the edge network", () => {
    const c = stacks[0]!.compose;
    expect(c.services.web!.deploy).toMatchObject({ endpoint_mode: "dnsrr", replicas: 1 });
    expect(c.services.db!.networks).toEqual(["default"]);
    const web = desired.resources.find((r) => r.kind === "service" && r.name === "s0_web");
    const delay = web?.kind === "service" ? web.shape.update.delaySeconds : -1;
    expect(c.services.web!.deploy).toMatchObject({ update_config: { delay: `${delay}s`, order: "start-first" } });
    expect(c.services.web!.networks.sort()).toEqual(["default", "edge"]);
    const secret = c.secrets["db-password"]!;
    expect(secret.name).toMatch(/^s0_db-password-[0-9a-f]{10}$/);
    expect(secret.file).toBe(`/secrets/${secret.name}`);
    expect(c.services.web!.secrets).toEqual([{ source: "db-password", target: "db-password" }]);
    expect(composeText(c)).toContain('version: "3.8"');
  });

  it("carries simulium's health checks and stop grace period, with `$` escaped for compose", () => {
    const c = stacks[0]!.compose;
    const web = desired.resources.find((r) => r.kind === "service" && r.name === "s0_web");
    const hc = web?.kind === "service" ? web.shape.healthcheck : undefined;
    if (hc === undefined) throw new Error("the synthetic web service has no health check");
    const check = c.services.web!.healthcheck!;
    expect(check).toMatchObject({ interval: `${hc.intervalSeconds}s`, timeout: `${hc.timeoutSeconds}s`, retries: hc.retries, start_period: `${hc.startPeriodSeconds}s` });
    // Compose turns `$$` back into `$`: what the engine gets is simulium's test, byte for byte.
    expect(check.test.map((t) => t.replace(/\$\$/g, "$"))).toEqual(hc.test);
    expect(check.test.join(" ")).not.toMatch(/(^|[^$])\$[^$]/);
    expect(c.services.db!.healthcheck).toBeDefined();
    expect(c.services.web!.stop_grace_period).toMatch(/^\d+s$/);
  });
});

describe("synthetic live state", () => {
  const desired = desiredOf(201);

  it("plans nothing against the live state of the same desired state", () => {
    expect(makePlan(desired, liveFromDesired(desired)).actions.filter(isMutation)).toEqual([]);
  });

  it("plans exactly one web update per changed site", () => {
    const changed = onePercent(siteNames("s", 201));
    expect([...changed]).toEqual(["s0", "s100", "s200"]);
    const actions = makePlan(desired, liveFromDesired(desired, changed)).actions.filter(isMutation);
    expect(actions.map((a) => `${a.op} ${a.name}`).sort()).toEqual(["update s0_web", "update s100_web", "update s200_web"]);
  });
});

describe("synthetic swarm as the engine answers it (plan-scale's live read)", () => {
  const desired = desiredOf(201);
  const read = (b: ApiBodies): LiveState =>
    liveFromApi("bench", {
      networks: JSON.parse(b.networks),
      volumes: JSON.parse(b.volumes).Volumes,
      secrets: JSON.parse(b.secrets),
      services: JSON.parse(b.services),
      tasks: JSON.parse(b.tasks),
    });

  it("reads back every object, one running task per replica, and plans nothing when nothing changed", () => {
    const live = read(apiFromDesired(desired));
    const count = (kind: string): number => desired.resources.filter((r) => r.kind === kind).length;
    expect([live.networks.length, live.volumes.length, live.secrets.length, live.services.length]).toEqual([count("network"), count("volume"), count("secret"), count("service")]);
    expect(live.tasks.length).toBe(live.services.reduce((n, s) => n + s.shape.replicas, 0));
    expect(makePlan(desired, live).actions.filter(isMutation)).toEqual([]);
  });

  it("plans exactly one web update per changed site", () => {
    const changed = onePercent(siteNames("s", 201));
    const actions = makePlan(desired, read(apiFromDesired(desired, changed))).actions.filter(isMutation);
    expect(actions.map((a) => `${a.op} ${a.name}`).sort()).toEqual(["update s0_web", "update s100_web", "update s200_web"]);
  });
});
