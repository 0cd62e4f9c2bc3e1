import { loadFiles } from "../../../controller/manifests/load";
import { siteYaml } from "./helpers";

const cluster = (spec: string): string => `apiVersion: simulium/v1\nkind: Cluster\nspec:\n${spec}`;

describe("loading a repository's files", () => {
  it("uses simulium.yaml defaults for the sites", () => {
    const text = siteYaml().replace("    image: registry.example.com/drupal:10.3\n", "    port: 8080\n");
    const r = loadFiles([
      { path: "simulium.yaml", text: cluster("  instance: demo\n  defaults:\n    web: {image: simulium/web:local}\n") },
      { path: "sites/acme.yaml", text },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.cluster?.instance).toBe("demo");
    expect(r.sites[0]?.web).toMatchObject({ image: "simulium/web:local", port: 8080 });
  });

  it("a broken simulium.yaml leaves cluster undefined but still checks the sites", () => {
    const r = loadFiles([
      { path: "simulium.yaml", text: cluster("  endpointMode: ipvs\n") },
      { path: "sites/acme.yaml", text: siteYaml() },
    ]);
    expect(r.cluster).toBeUndefined();
    expect(r.sites.map((s) => s.name)).toEqual(["acme"]);
    expect(r.errors.map((e) => [e.file, e.line, e.column, e.path, e.message])).toEqual([
      ["simulium.yaml", 4, 17, "spec.endpointMode", 'must be one of "vip", "dnsrr", not "ipvs"'],
    ]);
  });

  it("says when a missing image may come from a broken simulium.yaml", () => {
    const text = siteYaml().replace("    image: registry.example.com/drupal:10.3\n", "    port: 80\n");
    const r = loadFiles([
      { path: "simulium.yaml", text: cluster("  defaults:\n    web: {image: simulium/web:local, colour: red}\n") },
      { path: "sites/acme.yaml", text },
    ]);
    expect(r.errors.map((e) => e.message)).toEqual([
      'unknown field "colour" (expected one of: image, replicas, port, resources)',
      "no web image: set spec.web.image, or spec.defaults.web.image in simulium.yaml (simulium.yaml has errors, so its defaults are not applied)",
    ]);
    expect(r.invalidSites).toEqual(["acme"]);
  });

  it("checks images, schedules and the time zone in simulium.yaml", () => {
    const r = loadFiles([
      {
        path: "simulium.yaml",
        text: cluster("  timeZone: Mars/Olympus\n  defaults:\n    database: {image: MariaDB}\n    backup: {schedule: '* * *'}\n  varnish: {image: 'varnish:'}\n"),
      },
    ]);
    expect(r.cluster).toBeUndefined();
    expect(r.errors.map((e) => [e.line, e.column, e.path])).toEqual([
      [4, 13, "spec.timeZone"],
      [6, 23, "spec.defaults.database.image"],
      [7, 24, "spec.defaults.backup.schedule"],
      [8, 20, "spec.varnish.image"],
    ]);
    expect(r.errors[0]?.message).toBe('"Mars/Olympus" is not a known IANA time zone (e.g. UTC, Europe/Brussels)');
  });

  it("marks sites named by read errors invalid and blocks the cluster on a layout error", () => {
    const r = loadFiles(
      [{ path: "sites/b.yaml", text: siteYaml("b", ["b.org"]) }],
      [
        { file: "sites/a.yml", line: 0, column: 0, path: "", message: "rename", site: "a" },
        { file: "simulium.yaml", line: 0, column: 0, path: "", message: "is a directory, not a file" },
      ],
    );
    expect(r.invalidSites).toEqual(["a"]);
    expect(r.sites.map((s) => s.name)).toEqual(["b"]);
    expect(r.cluster).toBeUndefined();
  });

  it("returns sites in file-name order and errors grouped by file", () => {
    const r = loadFiles([
      { path: "sites/zeta.yaml", text: siteYaml("zeta", ["z.org"]) },
      { path: "sites/alpha.yaml", text: siteYaml("alpha", ["a.org"]) },
      { path: "sites/mid.yaml", text: "kind: [" },
    ]);
    expect(r.sites.map((s) => s.name)).toEqual(["alpha", "zeta"]);
    expect(r.invalidSites).toEqual(["mid"]);
    expect(r.cluster).toBeDefined();
  });
});
