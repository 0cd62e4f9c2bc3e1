import { Command } from "commander";
import { errorToJson, formatError } from "../manifests/format";
import { loadRepo } from "../manifests/load";
import type { LoadResult } from "../manifests/types";

/**
 * `simulium validate`: the pull-request check of a manifests repository. Prints every
 * problem (one line each, `file:line:column: path: message`) and exits 1 if there is any.
 */
export function register(program: Command): void {
  program
    .command("validate")
    .description("check the manifests repository (sites/*.yaml and simulium.yaml); exit 1 on any problem")
    .addHelpText("after", "\nExample:\n  $ simulium validate --repo ~/sites --json\n")
    .option("--repo <dir>", "manifests repository", ".")
    .option("--json", 'print {"valid", "sites", "errors"} as JSON')
    .action(async (opts: { repo: string; json?: boolean }) => {
      const result = await loadRepo(opts.repo);
      process.stdout.write(opts.json ? renderJson(result) : renderText(result));
      process.exitCode = isValid(result) ? 0 : 1;
    });
}

export function isValid(result: LoadResult): boolean {
  return result.errors.length === 0 && result.cluster !== undefined;
}

export function renderText(result: LoadResult): string {
  if (isValid(result)) return `ok: ${result.sites.length} site(s) valid\n`;
  return result.errors.map((e) => `${formatError(e)}\n`).join("");
}

export function renderJson(result: LoadResult): string {
  const doc = { valid: isValid(result), sites: result.sites.map((s) => s.name), errors: result.errors.map(errorToJson) };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
