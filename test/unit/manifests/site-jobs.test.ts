import { loadSite, siteYaml } from "./helpers";

describe("spec.hooks", () => {
  it("resolves commands with the default timeout", () => {
    const r = loadSite("acme", `${siteYaml()}  hooks:\n    preDeploy:\n      - command: [drush, updb, -y]\n        timeout: 60\n    postDeploy:\n      - command: [drush, cr]\n`);
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.hooks).toEqual({ preDeploy: [{ command: ["drush", "updb", "-y"], timeout: 60 }], postDeploy: [{ command: ["drush", "cr"], timeout: 900 }] });
  });

  it("is absent when the site declares no hook", () => {
    expect(loadSite("acme", siteYaml()).sites[0]?.hooks).toBeUndefined();
  });

  it("keeps a backup before deploy in its place among the preDeploy hooks", () => {
    const r = loadSite("acme", `${siteYaml()}  hooks:\n    preDeploy:\n      - backup: true\n      - command: [drush, updb, -y]\n`);
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.hooks?.preDeploy).toEqual([{ backup: true }, { command: ["drush", "updb", "-y"], timeout: 900 }]);
  });

  it("restores on failure only what a preDeploy backup saved, and only a database", () => {
    const db = "  database: {image: mariadb:10.11}\n";
    const withBackup = loadSite("acme", `${siteYaml()}${db}  hooks:\n    preDeploy:\n      - backup: true\n    restoreOnFailure: true\n`);
    expect(withBackup.errors).toEqual([]);
    expect(withBackup.sites[0]?.hooks?.restoreOnFailure).toBe(true);
    const without = loadSite("acme", `${siteYaml()}${db}  hooks:\n    postDeploy:\n      - command: [drush, cr]\n    restoreOnFailure: true\n`);
    expect(without.errors.map((e) => [e.path, e.message])).toEqual([["spec.hooks.restoreOnFailure", expect.stringContaining("add `- backup: true`")]]);
    const noDatabase = loadSite("acme", `${siteYaml()}  hooks:\n    preDeploy:\n      - backup: true\n    restoreOnFailure: true\n`);
    expect(noDatabase.errors.map((e) => [e.path, e.message])).toEqual([["spec.hooks.restoreOnFailure", expect.stringContaining("has none")]]);
  });

  it("rejects a shell string as a command", () => {
    const r = loadSite("acme", `${siteYaml()}  hooks:\n    postDeploy:\n      - command: "drush cr"\n`);
    expect(r.sites).toEqual([]);
  });
});
