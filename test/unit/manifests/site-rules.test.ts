import siteSchema from "../../../schemas/site.schema.json";
import { MAX_SERVICE_NAME, serviceNames } from "../../../controller/manifests/swarm-names";
import { loadSite, onlyError, siteYaml } from "./helpers";

const withSpec = (extra: string, name = "acme"): string => `${siteYaml(name)}${extra}`;

describe("rules within a site", () => {
  it("requires metadata.name to equal the file name", () => {
    expect(onlyError(loadSite("other", siteYaml("acme")))).toEqual({
      file: "sites/other.yaml",
      line: 4,
      column: 9,
      path: "metadata.name",
      message: '"acme" must equal the file name: this file is sites/other.yaml',
    });
  });

  it("rejects duplicate volume, secret and cron names at the later one", () => {
    const text = withSpec(
      [
        "  volumes:",
        "    - {name: files, mountPath: /a}", // 11
        "    - {name: files, mountPath: /b}", // 12
        "  secrets:",
        "    - {name: api, generate: {}}", // 14
        "    - {name: api, generate: {}}", // 15
        "  cron:",
        "    - {name: drupal, schedule: '* * * * *', command: [drush, cron]}", // 17
        "    - {name: drupal, schedule: '* * * * *', command: [drush, cron]}", // 18
        "",
      ].join("\n"),
    );
    const r = loadSite("acme", text);
    expect(r.errors.map((e) => [e.line, e.column, e.path, e.message])).toEqual([
      [12, 14, "spec.volumes[1].name", 'volume name "files" is already used by spec.volumes[0]'],
      [15, 14, "spec.secrets[1].name", 'secret name "api" is already used by spec.secrets[0]'],
      [18, 14, "spec.cron[1].name", 'cron job name "drupal" is already used by spec.cron[0]'],
    ]);
    expect(r.invalidSites).toEqual(["acme"]);
  });

  it("rejects two volumes at the same mount path", () => {
    const text = withSpec("  volumes:\n    - {name: a, mountPath: /var/files}\n    - {name: b, mountPath: /var/files}\n");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 12,
      column: 28,
      path: "spec.volumes[1].mountPath",
      message: '"/var/files" is already the mount path of spec.volumes[0]',
    });
  });

  it("rejects '..' in a mount path and a mount over the secrets", () => {
    const text = withSpec("  volumes:\n    - {name: a, mountPath: /var/../etc}\n    - {name: b, mountPath: /run/secrets}\n");
    const r = loadSite("acme", text);
    expect(r.errors.map((e) => [e.line, e.path, e.message])).toEqual([
      [11, "spec.volumes[0].mountPath", "\"/var/../etc\" must not contain '.' or '..' segments: write the absolute path"],
      [12, "spec.volumes[1].mountPath", '"/run/secrets" would hide the site\'s secrets, which Swarm mounts at /run/secrets'],
    ]);
  });

  it("reserves the db-data volume name", () => {
    const text = withSpec("  volumes:\n    - {name: db-data, mountPath: /data}\n");
    expect(onlyError(loadSite("acme", text))).toMatchObject({ line: 11, column: 14, path: "spec.volumes[0].name", message: '"db-data" is reserved for the site\'s database files: choose another name' });
  });

  it("allows declaring db-password on a site with a database, and refuses it on one without", () => {
    const secrets = "  secrets:\n    - {name: db-password, generate: {length: 64}}\n";
    expect(loadSite("acme", withSpec(`  database: {image: "mariadb:10.11"}\n${secrets}`)).errors).toEqual([]);
    expect(onlyError(loadSite("acme", withSpec(secrets)))).toEqual({
      file: "sites/acme.yaml",
      line: 11,
      column: 14,
      path: "spec.secrets[0].name",
      message: '"db-password" is reserved for the database password, generated for sites with spec.database; this site has none: choose another name',
    });
  });

  it("requires one of generate or sealed on every secret", () => {
    const text = withSpec("  database: {image: mariadb}\n  secrets:\n    - {name: db-root-password}\n");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 12,
      column: 7,
      path: "spec.secrets[0]",
      message: 'secret "db-root-password" needs exactly one of "generate" (a random value made by the controller) or "sealed" (a value from `simulium seal`)',
    });
  });

  describe("rendered Swarm names", () => {
    const long = `a${"b".repeat(39)}`; // 40 characters, the longest site name

    it("rejects a secret whose Swarm name would exceed 64 characters", () => {
      // 40 + "_" + 13 + "-" + 10 = 65
      const text = withSpec(`  secrets:\n    - {name: ${"s".repeat(13)}, generate: {}}\n`, long);
      expect(onlyError(loadSite(long, text))).toEqual({
        file: `sites/${long}.yaml`,
        line: 11,
        column: 14,
        path: "spec.secrets[0].name",
        message: `the Swarm secret name "${long}_${"s".repeat(13)}-<hash>" would be 65 characters, over the limit of 64: shorten the secret or site name`,
      });
      // One character less fits exactly.
      expect(loadSite(long, withSpec(`  secrets:\n    - {name: ${"s".repeat(12)}, generate: {}}\n`, long)).errors).toEqual([]);
    });

    it("rejects a volume whose Swarm name would exceed 64 characters", () => {
      const text = withSpec(`  volumes:\n    - {name: ${"v".repeat(24)}, mountPath: /x}\n`, long);
      expect(onlyError(loadSite(long, text))).toMatchObject({
        line: 11,
        column: 14,
        path: "spec.volumes[0].name",
        message: `the Swarm volume name "${long}_${"v".repeat(24)}" would be 65 characters, over the limit of 64: shorten the volume or site name`,
      });
    });

    it("rejects a site name too long for its generated database secrets", () => {
      const text = withSpec("  database: {image: mariadb}\n", long);
      expect(onlyError(loadSite(long, text))).toEqual({
        file: `sites/${long}.yaml`,
        line: 10,
        column: 13,
        path: "spec.database",
        message: `a site with a database gets the secret "${long}_db-root-password-<hash>", 68 characters, over the Swarm limit of 64: shorten the site name to at most 36 characters`,
      });
      const fits = long.slice(0, 36);
      expect(loadSite(fits, withSpec("  database: {image: mariadb}\n", fits)).errors).toEqual([]);
    });

    it("keeps service names within the Swarm limit by the schema's bound on site names", () => {
      // The rules do not check `<site>_web` at run time because it cannot overflow; this
      // test fails if someone raises the schema's limit past what Swarm allows.
      const pattern = siteSchema.properties.metadata.properties.name.pattern;
      const max = /\{0,(\d+)\}\$$/.exec(pattern);
      const longest = "a".repeat(1 + Number(max?.[1]));
      expect(new RegExp(pattern).test(longest)).toBe(true);
      for (const n of serviceNames(longest)) expect(n.length).toBeLessThanOrEqual(MAX_SERVICE_NAME);
      expect(`${longest}_default`.length).toBeLessThanOrEqual(MAX_SERVICE_NAME);
    });
  });
});
