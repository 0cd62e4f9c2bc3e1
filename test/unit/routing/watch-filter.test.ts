import { movesRouting } from "../../../controller/routing/watch";

const event = (attributes: Record<string, string>) =>
  JSON.stringify({ Type: "container", Action: "start", Actor: { ID: "c1", Attributes: { image: "simulium/web:local", name: "x", ...attributes } } });

describe("routing: which container events move routing", () => {
  it("a task of a site's or the instance's service does", () => {
    for (const role of ["web", "db", "varnish", "phpmyadmin"]) {
      expect(movesRouting(event({ "simulium.instance": "sim", "simulium.role": role }))).toBe(true);
    }
  });

  it("a job's container (exec, cron, backup) does not, nor one without a role", () => {
    expect(movesRouting(event({ "simulium.instance": "sim", "simulium.site": "acme", "simulium.role": "job" }))).toBe(false);
    expect(movesRouting(event({ "simulium.instance": "sim" }))).toBe(false);
    expect(movesRouting("")).toBe(false);
  });

  it("a line it cannot read does, to be safe", () => {
    expect(movesRouting("{not json")).toBe(true);
  });
});
