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

  it("rejects a backup before deploy: backups are not available yet", () => {
    const r = loadSite("acme", `${siteYaml()}  hooks:\n    preDeploy:\n      - backup: true\n`);
    expect(r.sites).toEqual([]);
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([["spec.hooks.preDeploy[0].backup", expect.stringContaining("not available yet")]]);
  });

  it("rejects a shell string as a command", () => {
    const r = loadSite("acme", `${siteYaml()}  hooks:\n    postDeploy:\n      - command: "drush cr"\n`);
    expect(r.sites).toEqual([]);
  });
});
