import Ajv2020, { ValidateFunction } from "ajv/dist/2020";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import clusterSchema from "../../../schemas/cluster.schema.json";
import siteSchema from "../../../schemas/site.schema.json";
import type { PathSegment } from "../../../controller/manifests/issue";
import { parseManifest } from "../../../controller/manifests/parse";
import { validateCluster, validateSite } from "../../../controller/manifests/schema-validators";

// The validators are generated ahead of time (scripts/schema-validators.mjs). They must be
// exactly what compiling the schemas at run time gives: the same verdict and the same errors,
// field by field (the error messages are built from those), on valid manifests and on every
// kind of wrong value at every field of them.

const ROOT = join(__dirname, "../../..");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

function paths(value: unknown, prefix: PathSegment[] = []): PathSegment[][] {
  const out: PathSegment[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function replaced(value: unknown, path: readonly PathSegment[], by: unknown): unknown {
  if (path.length === 0) return by;
  const [head, ...rest] = path as [PathSegment, ...PathSegment[]];
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaced(v, rest, by) : v));
  const o = value as Record<string, unknown>;
  return { ...o, [head]: replaced(o[head], rest, by) };
}

/** Wrong values of every JSON type, and values near typical limits. */
const WRONG: readonly unknown[] = [null, true, -1, 0.5, 99999999, "", "Not Valid!", "x".repeat(300), [], ["a", "a"], {}, { unexpected: 1 }];

function values(): { site: unknown[]; cluster: unknown[] } {
  const out = { site: [] as unknown[], cluster: [] as unknown[] };
  const files = [...yamlFiles(join(ROOT, "sites.example")), ...yamlFiles(join(ROOT, "test/fixtures"))];
  for (const file of files) {
    const parsed = parseManifest(file, readFileSync(file, "utf8"));
    if (!parsed.ok) continue;
    const value = parsed.manifest.value;
    const kind = (value as { kind?: unknown }).kind === "Site" ? out.site : out.cluster;
    kind.push(value);
    for (const p of paths(value)) for (const w of WRONG) kind.push(replaced(value, p, w));
  }
  return out;
}

/**
 * Errors with their (verbose) schema and parent schema as JSON text, remembered per object:
 * deep-comparing the whole site schema on every root error made this test take 25 s.
 */
const asJson = new WeakMap<object, string>();
function json(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  const known = asJson.get(v);
  if (known !== undefined) return known;
  const text = JSON.stringify(v);
  asJson.set(v, text);
  return text;
}
function comparable(errors: ValidateFunction["errors"]): unknown {
  return (errors ?? null)?.map((e) => ({ ...e, schema: json(e.schema), parentSchema: json(e.parentSchema) })) ?? null;
}

describe("the generated schema validators", () => {
  it("are up to date with schemas/*.schema.json (npm run schema:validators)", () => {
    // Throws (exit status 1) when controller/manifests/schema-validators.ts is stale.
    expect(() => execFileSync("node", ["scripts/schema-validators.mjs", "--check"], { cwd: ROOT, stdio: "pipe" })).not.toThrow();
  });

  it("give the verdict and the errors of the schemas compiled at run time", () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
    const pairs: Array<[ValidateFunction, ValidateFunction, unknown[]]> = [];
    const { site, cluster } = values();
    pairs.push([validateSite, ajv.compile(siteSchema), site], [validateCluster, ajv.compile(clusterSchema), cluster]);
    let invalid = 0;
    let valid = 0;
    for (const [generated, compiled, inputs] of pairs) {
      for (const input of inputs) {
        const verdict = compiled(input);
        expect(generated(input)).toBe(verdict);
        expect(comparable(generated.errors)).toStrictEqual(comparable(compiled.errors));
        if (verdict) valid++;
        else invalid++;
      }
    }
    // The corpus exercises both outcomes, in quantity (every field of every example, 12 ways).
    expect(valid).toBeGreaterThan(5);
    expect(invalid).toBeGreaterThan(1000);
  });
});
