import { parseImageRef } from "../../../controller/manifests/image-ref";
import { loadSite, onlyError, siteYaml } from "./helpers";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("image references", () => {
  it.each([
    ["mariadb", { path: "mariadb" }],
    ["mariadb:10.11", { path: "mariadb", tag: "10.11" }],
    ["library/mariadb:10.11", { path: "library/mariadb", tag: "10.11" }],
    ["registry.example.com/drupal-civicrm:10.3-php8.2", { domain: "registry.example.com", path: "drupal-civicrm", tag: "10.3-php8.2" }],
    ["localhost:5000/a/b__c.d:latest", { domain: "localhost:5000", path: "a/b__c.d", tag: "latest" }],
    ["Registry.Example.com/x", { domain: "Registry.Example.com", path: "x" }],
    ["[::1]:5000/x:1", { domain: "[::1]:5000", path: "x", tag: "1" }],
    [`simulium/web@${DIGEST}`, { path: "simulium/web", digest: DIGEST }],
    [`simulium/web:local@${DIGEST}`, { path: "simulium/web", tag: "local", digest: DIGEST }],
  ])("accepts %s", (text, ref) => {
    expect(parseImageRef(text)).toEqual({ ok: true, ref });
  });

  it.each([
    ["Drupal:10", "must be lower-case in its repository path (only the registry host may contain capitals)"],
    ["reg.io/Drupal", "must be lower-case in its repository path (only the registry host may contain capitals)"],
    ["drupal:", 'has an invalid tag "": letters, digits, \'_\', \'.\' and \'-\', not starting with \'.\' or \'-\', at most 128 characters'],
    ["drupal:-x", 'has an invalid tag "-x": letters, digits, \'_\', \'.\' and \'-\', not starting with \'.\' or \'-\', at most 128 characters'],
    [`drupal:${"a".repeat(129)}`, expect.stringMatching(/^has an invalid tag/)],
    ["drupal@sha256:abc", "has an invalid digest: use @sha256:<64 lower-case hex digits>"],
    [`drupal@md5:${"a".repeat(64)}`, "has an invalid digest: use @sha256:<64 lower-case hex digits>"],
    ["a//b", 'has an invalid path component "": lower-case letters and digits, separated by \'.\', \'_\', \'__\' or \'-\''],
    ["a/b_-c", 'has an invalid path component "b_-c": lower-case letters and digits, separated by \'.\', \'_\', \'__\' or \'-\''],
    ["a/.b", 'has an invalid path component ".b": lower-case letters and digits, separated by \'.\', \'_\', \'__\' or \'-\''],
    ["-reg.io/x", 'has an invalid registry host "-reg.io"'],
    [":tag", "has no repository name"],
    ["drupal 10", 'has an invalid path component "drupal 10": lower-case letters and digits, separated by \'.\', \'_\', \'__\' or \'-\''],
    ["", "is empty"],
  ])("rejects %j", (text, problem) => {
    expect(parseImageRef(text)).toEqual({ ok: false, problem });
  });

  it("rejects a repository name over 255 characters", () => {
    expect(parseImageRef(`${"a".repeat(256)}:1`)).toEqual({ ok: false, problem: "has a repository name longer than 255 characters" });
  });

  it("reports a bad site image at spec.web.image", () => {
    const text = siteYaml().replace("registry.example.com/drupal:10.3", "registry.example.com/Drupal:10.3");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 9,
      column: 12,
      path: "spec.web.image",
      message: 'image "registry.example.com/Drupal:10.3" must be lower-case in its repository path (only the registry host may contain capitals)',
    });
  });

  it("reports a bad database image at spec.database.image", () => {
    const text = `${siteYaml()}  database:\n    image: "mariadb:10.11 ; rm -rf /"\n`;
    expect(onlyError(loadSite("acme", text))).toMatchObject({ line: 11, column: 12, path: "spec.database.image", message: 'image "mariadb:10.11 ; rm -rf /" has an invalid registry host "mariadb:10.11 ; rm -rf "' });
  });
});
