import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fastParse } from "../../../controller/manifests/fast-parse";
import type { PathSegment } from "../../../controller/manifests/issue";
import { parseManifest, parseReference } from "../../../controller/manifests/parse";
import { clusterYaml, siteYaml as supportSiteYaml } from "../../support/manifests";
import { siteYaml } from "./helpers";

// js-yaml (the fast path) and `yaml` (the reference: its messages and positions are the
// product's) must agree on what every manifest means. For each text, parseManifest (fast
// path first) must give exactly what the reference gives: the same value or the same
// errors, and the same file:line:column for every field.

const ROOT = join(__dirname, "../../..");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

/** Every path to a leaf (and to each collection) of a plain value. */
function paths(value: unknown, prefix: PathSegment[] = []): PathSegment[][] {
  const out: PathSegment[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function expectSameMeaning(text: string): void {
  const reference = parseReference("f.yaml", text);
  const actual = parseManifest("f.yaml", text);
  expect(actual.ok).toBe(reference.ok);
  if (!reference.ok || !actual.ok) {
    expect(actual).toEqual(reference);
    return;
  }
  expect(actual.manifest.value).toStrictEqual(reference.manifest.value);
  for (const path of paths(reference.manifest.value)) {
    for (const at of ["value", "key"] as const) {
      const issue = { path, message: "m", at };
      expect(actual.manifest.locate(issue)).toEqual(reference.manifest.locate(issue));
    }
  }
  // Absent fields point where the reference points (at the nearest present ancestor).
  const absent = { path: ["spec", "nope", 3], message: "m" };
  expect(actual.manifest.locate(absent)).toEqual(reference.manifest.locate(absent));
}

const fixtures = [...yamlFiles(join(ROOT, "sites.example")), ...yamlFiles(join(ROOT, "test/fixtures"))];

describe("js-yaml fast path against the yaml reference", () => {
  it.each(fixtures.map((f) => [f.slice(ROOT.length + 1)]))("%s means the same to both parsers", (file) => {
    expectSameMeaning(readFileSync(join(ROOT, file), "utf8"));
  });

  it("takes the fast path for every valid example and fixture (else it measures nothing)", () => {
    const valid = fixtures.filter((f) => parseReference(f, readFileSync(f, "utf8")).ok);
    expect(valid.length).toBeGreaterThan(5);
    for (const f of valid) expect([f, fastParse(readFileSync(f, "utf8"), 32) !== undefined]).toEqual([f, true]);
  });

  it("agrees on the manifests the tests and the bench generate", () => {
    expectSameMeaning(siteYaml("acme", ["acme.example.org", "www.acme.example.org"]));
    expectSameMeaning(supportSiteYaml("acme", { database: true, secretRotation: 3, web: ["resources: {memory: 256M}"] }));
    expectSameMeaning(clusterYaml("bench", "  varnish: {port: 8080}\n"));
  });

  // Each: the text, and whether the fast path may answer it (false: only the reference may).
  const tricky: Array<[string, string, boolean]> = [
    ["anchors and aliases", "a: &x {b: 1}\nc: *x\n", false],
    ["an anchor alone", "a: &x 1\n", false],
    ["merge key with alias", "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n", false],
    ["merge key without alias", "m:\n  <<: {x: 1}\n  y: 2\n", false],
    ["duplicate keys", "a: 1\na: 2\n", false],
    ["duplicate quoted and plain key", "a: 1\n'a': 2\n", false],
    ["yes/no/on/off", "a: yes\nb: no\nc: on\nd: off\ne: Y\nf: n\n", true],
    ["booleans and nulls", "a: true\nb: False\nc: NULL\nd: ~\ne:\nf: null\n", true],
    ["octal-like", "mode: 0755\nb: 0o755\nc: 0x1F\nd: 0b101\ne: 08\n", true],
    ["numbers", "a: 1_000\nb: +12\nc: -0\nd: 1e3\ne: .5\nf: 1.\ng: .inf\nh: -.Inf\ni: .nan\nj: 6.02e+23\nk: 1:20\nl: 0.1.2\n", true],
    ["very large ints", "a: 123456789012345678901234567890\nb: 9007199254740993\nc: -99999999999999999999\n", true],
    ["timestamps", "a: 2001-12-14t21:59:43.10-05:00\nb: 2002-12-14\nc: 2001-12-14 21:59:43.10 -5\n", true],
    ["multi-document", "a: 1\n---\nb: 2\n", false],
    ["explicit start and end", "---\na: 1\n...\n", true],
    ["directive", "%YAML 1.2\n---\na: 1\n", false],
    ["YAML 1.1 directive", "%YAML 1.1\n---\na: yes\n", false],
    ["tab indentation", "a:\n\tb: 1\n", false],
    ["tab in a value", "a: 'x\ty'\nb: \"\\t\"\n", true],
    ["tab after a value", "a: 1\t\nb:\t2\n", true],
    ["BOM", "\uFEFFa: 1\nb: x\n", true],
    ["CRLF", "a: 1\r\nb:\r\n  - x\r\n  - 'y'\r\n", true],
    ["tags", "a: !!str 1\nb: !!int '2'\n", false],
    ["unknown tag", "a: !custom 1\n", false],
    ["binary tag", "a: !!binary aGk=\n", false],
    ["complex key", "? [a, b]\n: 1\n", false],
    ["flow key", "[a]: 1\n", false],
    ["null key", "~: 1\nnull: 2\n", false],
    ["empty key", ": 1\n", false],
    ["number keys", "1: a\n0x10: b\n1.5: c\n", false],
    ["boolean key", "true: a\n", false],
    ["__proto__ key", "__proto__: {a: 1}\n", false],
    ["quoted __proto__ key", "'__proto__': {a: 1}\n", false],
    ["quoted keys", "'a b': 1\n\"c\\u0041\": 2\n'd''e': 3\n", true],
    ["block scalars", "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\nc: |+\n  keep\n\n", true],
    ["multi-line plain and quoted", "a: one\n  two\nb: 'x\n  y'\nc: \"p\\\n  q\"\n", true],
    ["escapes", "a: \"\\x41\\u00e9\\U0001F600\\n\\0\"\nb: 'it''s'\n", true],
    ["flow collections", "a: [1, 'two', {b: c}, [d]]\ne: {f: [], g: {}}\n", true],
    ["nested sequences", "a:\n- - 1\n  - 2\n- b: 3\n  c:\n  - 4\n", true],
    ["comments", "# c\na: 1 # c\n# c\nb: [1, # c\n  2]\n", true],
    ["empty file", "", false],
    ["comments only", "# nothing\n", false],
    ["a scalar document", "just a string\n", true],
    ["invalid YAML", "apiVersion: simulium/v1\nkind: [Site\n", false],
    ["bad indentation", "a:\n  b: 1\n c: 2\n", false],
    ["unterminated quote", "a: 'x\n", false],
    ["deep nesting", `${"[".repeat(40)}${"]".repeat(40)}\n`, false],
    ["nesting at the limit", `a: ${"[".repeat(31)}1${"]".repeat(31)}\n`, true],
    ["nesting one past the limit", `a: ${"[".repeat(32)}1${"]".repeat(32)}\n`, false],
    ["special floats as strings", "a: '.inf'\nb: \"1e3\"\n", true],
    ["strings that look like other things", "a: 1.2.3\nb: 10:30\nc: 0x\nd: +\ne: -\nf: .\ng: 1e\nh: 0o8\n", true],
    ["plain scalar with colon and hash", "a: http://x:80/#y\nb: a#b\nc: 'a: b'\n", true],
    ["document end marker in value", "a: '...'\nb: '---'\n", true],
  ];

  it.each(tricky)("%s: the same value or the same errors", (_name, text, fastAllowed) => {
    expectSameMeaning(text);
    // A case that the fast path answers where it must not would mean the screening has a gap.
    if (!fastAllowed) expect(fastParse(text, 32)).toBeUndefined();
  });
});
