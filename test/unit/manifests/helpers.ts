import { loadFiles } from "../../../controller/manifests/load";
import type { LoadResult, ManifestError } from "../../../controller/manifests/types";

/** A valid site manifest; line numbers matter to the tests that edit it. */
export function siteYaml(name = "acme", domains = ["acme.example.org"]): string {
  return [
    "apiVersion: simulium/v1", // 1
    "kind: Site", // 2
    "metadata:", // 3
    `  name: ${name}`, // 4
    "spec:", // 5
    "  domains:", // 6
    ...domains.map((d) => `    - ${d}`), // 7..
    "  web:",
    "    image: registry.example.com/drupal:10.3",
    "",
  ].join("\n");
}

/** Loads one site file (plus optional others) with no simulium.yaml. */
export function loadSite(name: string, text: string, others: Record<string, string> = {}): LoadResult {
  const files = [{ path: `sites/${name}.yaml`, text }, ...Object.entries(others).map(([n, t]) => ({ path: `sites/${n}.yaml`, text: t }))];
  return loadFiles(files);
}

/** The only error of a load, asserting there is exactly one. */
export function onlyError(result: LoadResult): Pick<ManifestError, "file" | "line" | "column" | "path" | "message"> {
  expect(result.errors).toHaveLength(1);
  const e = result.errors[0];
  if (!e) throw new Error("no error");
  return { file: e.file, line: e.line, column: e.column, path: e.path, message: e.message };
}
