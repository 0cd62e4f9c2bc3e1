import { Command, InvalidArgumentError } from "commander";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { generateSecret } from "../apply/secret-value";
import { renderCompose, SEALED_PLACEHOLDER } from "../compose/render";
import { loadSite } from "../reconcile/load-site";

interface ComposeOptions {
  repo: string;
  port: string;
  secretsDir?: string;
}

/**
 * `simulium compose SITE`: prints a docker-compose file that runs the site on a laptop, and
 * writes development secret files for it (kept when they exist, so a database initialised
 * with them keeps working).
 */
export function register(program: Command): void {
  program
    .command("compose")
    .description("print a docker-compose file that runs a site locally (web + db), with development secrets")
    .addHelpText("after", "\nExample:\n  $ simulium compose acme --repo ~/sites > acme.yml && docker-compose -f acme.yml up -d\n")
    .argument("<site>", "the site")
    .option("--repo <dir>", "manifests repository", ".")
    .option("--port <port>", "loopback port of the web service", "8080")
    .option("--secrets-dir <dir>", "where the development secret files are written (default ./<site>-secrets)")
    .action(async (siteName: string, opts: ComposeOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError("--port must be a TCP port");
      const { site, cluster } = await loadSite(opts.repo, siteName);
      // Absolute: the compose file goes to stdout and may be saved anywhere.
      const secretsDir = path.resolve(opts.secretsDir ?? `${siteName}-secrets`);
      const out = renderCompose({ site, cluster, port, secretsDir });
      await mkdir(secretsDir, { recursive: true, mode: 0o700 });
      for (const s of out.secrets) {
        const value = "sealed" in s.source ? SEALED_PLACEHOLDER : generateSecret(s.source.generate.length);
        // 0644 like a Swarm secret (0444): the database runs as its own user. "wx": an existing
        // development value is kept.
        await writeFile(path.join(secretsDir, s.name), value, { flag: "wx", mode: 0o644 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "EEXIST") throw err;
        });
      }
      process.stdout.write(out.text);
    });
}
