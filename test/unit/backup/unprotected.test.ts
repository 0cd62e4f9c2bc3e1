import { unprotectedSites } from "../../../controller/backup/unprotected";
import { loadFiles } from "../../../controller/manifests/load";

const site = (name: string, backup = "") =>
  `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: ${name}}\nspec:\n  domains: [${name}.example.org]\n  web: {image: registry.example.com/drupal:10.3}\n${backup}`;
const cluster = (backup: string) => `apiVersion: simulium/v1\nkind: Cluster\nspec:\n${backup}`;

describe("backups asked for on a cluster where backups are off", () => {
  const files = (clusterBackup: string) =>
    loadFiles([
      { path: "simulium.yaml", text: cluster(clusterBackup) },
      { path: "sites/acme.yaml", text: site("acme", '  backup: {schedule: "0 3 * * *"}\n') },
      { path: "sites/beta.yaml", text: site("beta") },
    ]);

  it("warns for each site with a schedule, naming what enables backups", () => {
    const load = files("  defaults: {}\n");
    expect(unprotectedSites(load.sites, load.cluster!)).toEqual([
      { site: "acme", name: "acme", message: 'spec.backup schedules backups ("0 3 * * *"), but simulium.yaml enables none (spec.backup.image): this site is not backed up' },
    ]);
  });

  it("also for sites that get the cluster's default schedule", () => {
    const load = files('  defaults: {backup: {schedule: "15 3 * * *"}}\n');
    expect(unprotectedSites(load.sites, load.cluster!).map((w) => w.site)).toEqual(["acme", "beta"]);
  });

  it("says nothing once simulium.yaml enables backups", () => {
    const load = files('  backup: {image: "simulium/backup:local"}\n');
    expect(load.errors).toEqual([]);
    expect(unprotectedSites(load.sites, load.cluster!)).toEqual([]);
  });
});
