import { accessResources } from "../../../controller/access/render";
import { renderDesired, renderSite } from "../../../controller/desired/render";
import { renderSiteWithFeatures, standardFeatures } from "../../../controller/features";
import { siteParts } from "../../../controller/reconcile/feature";
import { cluster, site } from "../../fixtures/core/builders";

const KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOXl dev@a"];
const withAccess = site({
  access: {
    phpmyadmin: { image: "simulium/phpmyadmin:1", domain: "db.acme.example.org", user: "client" },
    ssh: { image: "simulium/ssh:1", port: 2222, keys: KEYS },
    sftp: { image: "simulium/sftp:1", port: 2201, keys: KEYS, volume: "files" },
  },
});
const ACCESS_OBJECTS = ["secret/acme_pma-password", "secret/acme_ssh-host-key", "service/acme_phpmyadmin", "service/acme_ssh", "service/acme_sftp"];
const named = (rs: readonly { kind: string; name: string }[]) => rs.map((r) => `${r.kind}/${r.name.replace(/-[0-9a-f]{10}$/, "")}`);

describe("access as a feature: phpMyAdmin, SSH and SFTP are rendered by access/, not by the core", () => {
  it("is one of the features every reconcile runs with, and its part is the site's access objects", () => {
    const access = standardFeatures().all.find((f) => f.name === "access");
    expect(access?.site).toBe(accessResources);
    expect(siteParts(standardFeatures().all)).toEqual([accessResources]);
    expect(named(renderSiteWithFeatures(withAccess, cluster()))).toEqual(expect.arrayContaining(ACCESS_OBJECTS));
  });

  it("the core alone renders the site without them, and the same web, database, volumes and secrets", () => {
    const core = renderSite(withAccess, cluster());
    expect(named(core).filter((n) => ACCESS_OBJECTS.includes(n))).toEqual([]);
    const full = renderSiteWithFeatures(withAccess, cluster());
    expect(full.filter((r) => !ACCESS_OBJECTS.includes(named([r])[0] ?? ""))).toEqual(core);
  });

  it("renderDesired renders the parts it is given for every site, suspended ones excepted", () => {
    const sites = [withAccess, site({ ...withAccess, name: "paused", suspend: true })];
    const names = named(renderDesired({ sites, cluster: cluster(), siteParts: [accessResources] }).resources);
    expect(names).toEqual(expect.arrayContaining(ACCESS_OBJECTS));
    expect(names.filter((n) => n.includes("paused"))).toEqual([]);
  });

  it("uses a pma-password the manifest declares instead of generating one", () => {
    const declared = site({ ...withAccess, secrets: [{ name: "pma-password", generate: { length: 40, rotation: 1 } }] });
    const rs = renderSiteWithFeatures(declared, cluster());
    const pma = rs.filter((r) => r.kind === "secret" && r.logicalName === "pma-password");
    expect(pma).toHaveLength(1);
    expect(pma[0]?.kind === "secret" && pma[0].source).toEqual({ generate: { length: 40 } });
  });
});
