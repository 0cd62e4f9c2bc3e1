import { loadFiles } from "../../../controller/manifests/load";
import { loadSite, onlyError, siteYaml } from "./helpers";

// Hostile or broken YAML is refused with a located error and never crashes or hangs.
describe("hostile YAML", () => {
  it("reports invalid YAML at its position and excludes only that site", () => {
    const r = loadSite("acme", "apiVersion: simulium/v1\nkind: [Site\n", { other: siteYaml("other", ["other.example.org"]) });
    expect(r.sites.map((s) => s.name)).toEqual(["other"]);
    expect(r.invalidSites).toEqual(["acme"]);
    const e = r.errors[0];
    expect(e).toMatchObject({ file: "sites/acme.yaml", path: "", site: "acme" });
    expect(e?.message).toMatch(/^invalid YAML: /);
    expect(e?.line).toBeGreaterThanOrEqual(2);
  });

  it("refuses aliases, so a billion-laughs file costs nothing", () => {
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lol.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const started = Date.now();
    const r = loadSite("acme", `${lol.join("\n")}\n`);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.sites).toEqual([]);
    expect(r.invalidSites).toEqual(["acme"]);
    expect(r.errors[0]).toMatchObject({
      file: "sites/acme.yaml",
      line: 2,
      column: 8,
      message: "YAML aliases (*name) are not allowed in manifests: write the value out",
    });
  });

  it("refuses a single alias too", () => {
    const text = siteYaml().replace("metadata:\n  name: acme", "metadata:\n  name: &n acme\n  labels: {x: *n}");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 5,
      column: 15,
      path: "",
      message: "YAML aliases (*name) are not allowed in manifests: write the value out",
    });
  });

  it("refuses several documents in one file, pointing at the second", () => {
    const text = `${siteYaml()}---\n${siteYaml()}`;
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 10,
      column: 1,
      path: "",
      message: "holds more than one YAML document: one manifest per file, remove the '---' separator",
    });
  });

  it("refuses a duplicate key, pointing at the second one", () => {
    const text = siteYaml().replace("kind: Site\n", "kind: Site\nkind: Site\n");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 3,
      column: 1,
      path: "",
      message: "a key appears twice in the same mapping: keep only one",
    });
  });

  it("refuses YAML tags", () => {
    const text = siteYaml().replace("kind: Site", "kind: !!js/function Site");
    const e = onlyError(loadSite("acme", text));
    expect(e).toMatchObject({ line: 2, column: 7 });
    expect(e.message).toBe("Unresolved tag: tag:yaml.org,2002:js/function: YAML tags are not used in manifests");
  });

  it("refuses a key that is not a plain string", () => {
    const text = siteYaml().replace("  name: acme", "  name: acme\n  labels:\n    ? [a, b]\n    : x");
    expect(onlyError(loadSite("acme", text))).toMatchObject({ line: 6, column: 7, message: "a mapping key must be a plain string" });
  });

  it("refuses absurd nesting without exhausting the stack", () => {
    const n = 50000;
    const r = loadSite("acme", `apiVersion: ${"[".repeat(n)}${"]".repeat(n)}\n`);
    expect(r.invalidSites).toEqual(["acme"]);
    expect(r.errors[0]?.message).toMatch(/nested/);
  });

  it("refuses moderately deep nesting past 32 levels", () => {
    const r = loadSite("acme", `apiVersion: ${"[".repeat(40)}${"]".repeat(40)}\n`);
    expect(onlyError(r)).toEqual({ file: "sites/acme.yaml", line: 1, column: 44, path: "", message: "the YAML is nested more than 32 levels deep" });
  });

  it("reports an empty or comment-only file as a whole-file error", () => {
    for (const text of ["", "# nothing here\n"]) {
      expect(onlyError(loadSite("acme", text))).toEqual({ file: "sites/acme.yaml", line: 0, column: 0, path: "", message: "the file is empty" });
    }
  });

  it("rejects a document that is not a mapping", () => {
    expect(onlyError(loadSite("acme", "- a\n- b\n"))).toEqual({
      file: "sites/acme.yaml",
      line: 1,
      column: 1,
      path: "",
      message: "must be a mapping, not a list",
    });
  });

  it("caps the number of errors reported for one file", () => {
    const items = Array.from({ length: 120 }, (_, i) => `  k${i}: 1`).join("\n");
    const r = loadFiles([{ path: "sites/acme.yaml", text: `apiVersion: simulium/v1\nkind: Site\nmetadata:\n${items}\n` }]);
    expect(r.errors).toHaveLength(51);
    expect(r.errors[50]).toMatchObject({ line: 0, message: expect.stringMatching(/^and \d+ more problem\(s\) in this file$/) });
  });

  it("keeps a __proto__ key as plain data (no prototype pollution)", () => {
    const text = siteYaml().replace("    image: registry.example.com/drupal:10.3", "    image: registry.example.com/drupal:10.3\n    env:\n      __proto__: polluted");
    const r = loadSite("acme", text);
    expect(r.errors).toEqual([]);
    expect(Object.getPrototypeOf(r.sites[0]?.web.env)).toBe(Object.prototype);
    expect(Object.keys(r.sites[0]?.web.env ?? {})).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
