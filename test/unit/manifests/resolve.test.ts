import { loadFiles } from "../../../controller/manifests/load";
import { cpusToNano, parseMemory, resolveCluster, resolveSite } from "../../../controller/manifests/resolve";
import type { Site } from "../../../controller/manifests/types";
import { siteYaml } from "./helpers";

const minimal: Site = { apiVersion: "simulium/v1", kind: "Site", metadata: { name: "acme" }, spec: { domains: ["acme.org"], web: {} } };

describe("resolution", () => {
  it("applies schema defaults to a minimal site", () => {
    const r = resolveSite(minimal, "sites/acme.yaml", { web: { image: "simulium/web:local" } });
    expect(r).toEqual({
      ok: true,
      site: {
        name: "acme",
        file: "sites/acme.yaml",
        labels: {},
        suspend: false,
        deletionPolicy: "Retain",
        domains: ["acme.org"],
        web: { image: "simulium/web:local", replicas: 1, port: 80, env: {}, resources: {}, healthcheck: { path: "/", interval: 10, timeout: 5 } },
        volumes: [],
        secrets: [],
        cron: [],
        placement: { constraints: [] },
        uptime: { enabled: true, interval: 60, timeout: 10, failures: 3, path: "/" },
      },
    });
  });

  it("takes a site's uptime settings over the defaults", () => {
    const site: Site = { ...minimal, spec: { ...minimal.spec, uptime: { interval: 5, failures: 1, path: "/user/login" } } };
    const r = resolveSite(site, "sites/acme.yaml", { web: { image: "i" } });
    expect(r.ok && r.site.uptime).toEqual({ enabled: true, interval: 5, timeout: 10, failures: 1, path: "/user/login" });
  });

  it("prefers the site, then simulium.yaml defaults, then schema defaults", () => {
    const site: Site = { ...minimal, spec: { ...minimal.spec, web: { replicas: 3, resources: { cpus: 0.5 } }, backup: { schedule: "0 1 * * *" } } };
    const r = resolveSite(site, "sites/acme.yaml", {
      web: { image: "img:1", replicas: 2, port: 8080, resources: { memory: "512M", cpus: 2 } },
      backup: { schedule: "0 3 * * *", keep: 30 },
    });
    if (!r.ok) throw new Error("expected ok");
    expect(r.site.web).toMatchObject({ image: "img:1", replicas: 3, port: 8080, resources: { memoryBytes: 512 * 1024 * 1024, nanoCpus: 500_000_000 } });
    expect(r.site.backup).toEqual({ schedule: "0 1 * * *", keep: 30 });
  });

  it("gives a site without backup the cluster's default backup", () => {
    const r = resolveSite(minimal, "sites/acme.yaml", { web: { image: "i" }, backup: { schedule: "0 3 * * *" } });
    expect(r.ok && r.site.backup).toEqual({ schedule: "0 3 * * *", keep: 7 });
  });

  it("adds the generated database secrets, keeping a declaration's length", () => {
    const site: Site = { ...minimal, spec: { ...minimal.spec, database: {}, secrets: [{ name: "db-password", generate: { length: 64 } }] } };
    const r = resolveSite(site, "sites/acme.yaml", { web: { image: "w" }, database: { image: "mariadb:10.11", resources: { memory: "1G" } } });
    if (!r.ok) throw new Error("expected ok");
    expect(r.site.database).toEqual({ image: "mariadb:10.11", name: "drupal", user: "drupal", env: {}, resources: { memoryBytes: 1024 ** 3 } });
    expect(r.site.secrets).toEqual([
      { name: "db-password", generate: { length: 64, rotation: 0 } },
      { name: "db-root-password", generate: { length: 32, rotation: 0 } },
    ]);
  });

  it("fails when no web image is set anywhere", () => {
    expect(resolveSite(minimal, "sites/acme.yaml", {})).toEqual({
      ok: false,
      issues: [{ path: ["spec", "web", "image"], message: "no web image: set spec.web.image, or spec.defaults.web.image in simulium.yaml" }],
    });
  });

  it("locates a missing web image at spec.web, and a missing database image at spec.database", () => {
    const text = siteYaml().replace("    image: registry.example.com/drupal:10.3\n", "    replicas: 1\n") + "  database:\n    name: civicrm\n";
    const r = loadFiles([{ path: "sites/acme.yaml", text }]);
    expect(r.errors.map((e) => [e.line, e.column, e.path, e.message])).toEqual([
      [9, 5, "spec.web.image", "no web image: set spec.web.image, or spec.defaults.web.image in simulium.yaml"],
      [11, 5, "spec.database.image", "no database image: set spec.database.image, or spec.defaults.database.image in simulium.yaml"],
    ]);
  });

  it("resolves an absent simulium.yaml to the schema defaults", () => {
    expect(resolveCluster(undefined)).toEqual({
      instance: "simulium",
      endpointMode: "vip",
      images: { resolveDigests: "registry" },
      timeZone: "UTC",
      volumes: { driver: "local", options: {} },
      update: { monitorSeconds: 15, timeoutSeconds: 300 },
      environments: { max: 20, maxPerSite: 3 },
      varnish: { port: 80, replicas: 1, mode: "replicated", constraints: [], cacheSize: "256M", optimiseVcl: false, vcl: {} },
    });
  });

  it("parses memory in binary units and cpus into nano-CPUs", () => {
    expect(parseMemory("512K")).toBe(524288);
    expect(parseMemory("512M")).toBe(536870912);
    expect(parseMemory("2G")).toBe(2147483648);
    expect(() => parseMemory("2T")).toThrow("not a memory size");
    expect(cpusToNano(1.0)).toBe(1e9);
    expect(cpusToNano(0.1)).toBe(100_000_000);
  });
});
