import { syncEnds, SyncRefusedError } from "../../../controller/backup/sync";
import { loadFiles } from "../../../controller/manifests/load";

const acme = [
  "apiVersion: simulium/v1",
  "kind: Site",
  "metadata: {name: acme}",
  "spec:",
  "  domains: [acme.org]",
  "  web: {image: drupal:10}",
  "  environments:",
  "    - {name: staging, domains: [staging.acme.org]}",
  "    - {name: dev, domains: [dev.acme.org]}",
  "",
].join("\n");
const zeta = "apiVersion: simulium/v1\nkind: Site\nmetadata: {name: zeta}\nspec:\n  domains: [zeta.org]\n  web: {image: drupal:10}\n  environments: [{name: staging, domains: [staging.zeta.org]}]\n";
const load = loadFiles([
  { path: "sites/acme.yaml", text: acme },
  { path: "sites/zeta.yaml", text: zeta },
]);

describe("which sites simulium sync copies between", () => {
  it("prod is the site itself, any other name one of its environments", () => {
    expect(load.errors).toEqual([]);
    const ends = syncEnds(load, "acme", "prod", "staging", false);
    expect([ends.source.name, ends.target.name]).toEqual(["acme", "acme--staging"]);
    const between = syncEnds(load, "acme", "staging", "dev", false);
    expect([between.source.name, between.target.name]).toEqual(["acme--staging", "acme--dev"]);
  });

  it("refuses a sync into production without --into-production, and allows it with", () => {
    expect(() => syncEnds(load, "acme", "staging", "prod", false)).toThrow(SyncRefusedError);
    expect(() => syncEnds(load, "acme", "staging", "prod", false)).toThrow(/add --into-production/);
    expect(syncEnds(load, "acme", "staging", "prod", true).target.name).toBe("acme");
  });

  it("refuses an unknown environment (naming the known ones), another site's environment, and the same one twice", () => {
    expect(() => syncEnds(load, "acme", "prod", "qa", false)).toThrow('site "acme" has no environment "qa" (it has: prod, staging, dev)');
    expect(() => syncEnds(load, "zeta", "prod", "dev", false)).toThrow('site "zeta" has no environment "dev" (it has: prod, staging)');
    expect(() => syncEnds(load, "acme--staging", "prod", "dev", false)).toThrow(SyncRefusedError);
    expect(() => syncEnds(load, "acme", "staging", "staging", false)).toThrow("nothing to copy");
    expect(() => syncEnds(load, "nope", "prod", "staging", false)).toThrow(SyncRefusedError);
  });
});
