import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import clusterSchema from "../../../schemas/cluster.schema.json";
import siteSchema from "../../../schemas/site.schema.json";
import { buildProgram } from "../../../controller/cli/main";
import { CLI_REFERENCE, cliReference, MANIFEST_REFERENCE, manifestReference } from "../../../controller/cli/reference";

/**
 * docs/manifest-reference.md and docs/cli-reference.md are generated from the schemas and the
 * commander definitions; this fails when either is stale. `npm run docs:reference` runs this
 * file with SIMULIUM_WRITE_REFERENCE=1, which rewrites them instead.
 */
const root = path.resolve(__dirname, "../../..");
const generated: Record<string, string> = {
  [MANIFEST_REFERENCE]: manifestReference([
    { file: "schemas/site.schema.json", title: "Site", schema: siteSchema },
    { file: "schemas/cluster.schema.json", title: "Cluster", schema: clusterSchema },
  ]),
  [CLI_REFERENCE]: cliReference(buildProgram()),
};

describe("generated references", () => {
  for (const [file, text] of Object.entries(generated)) {
    it(`${file} is current (npm run docs:reference)`, () => {
      const full = path.join(root, file);
      if (process.env.SIMULIUM_WRITE_REFERENCE === "1") writeFileSync(full, text);
      expect(existsSync(full) ? readFileSync(full, "utf8") : "(missing: run npm run docs:reference)").toBe(text);
    });
  }

  it("lists every manifest field with its description, default and type", () => {
    const text = generated[MANIFEST_REFERENCE] ?? "";
    expect(text).toContain("| `spec.uptime.interval` | integer | `60` | Seconds between two probes of the site. (min 1, max 3600) |");
    expect(text).toContain("| `metadata.name` (required) |");
    expect(text).toMatch(/\| `spec\.web\.healthcheck\.path` \| string \|/);
    expect(text).toContain("## Cluster (`schemas/cluster.schema.json`)");
  });

  it("shows every command's help with its example", () => {
    const text = generated[CLI_REFERENCE] ?? "";
    for (const c of buildProgram().commands) expect(text).toContain(`## simulium ${c.name()}\n`);
    expect(text).toContain("$ simulium history acme --repo ~/sites --limit 10");
    expect(text).toContain("--forge-commit-url <url>");
    expect(text).not.toMatch(/\x1b\[/);
  });
});
