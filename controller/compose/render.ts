import type * as Yaml from "yaml";
import { renderSite } from "../desired/render";
import type { SecretSpec, ServiceSpec } from "../desired/types";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";

export interface ComposeInput {
  readonly site: ResolvedSite;
  readonly cluster: ResolvedCluster;
  /** Loopback port the web service is published on. */
  readonly port: number;
  /** Directory of the development secret files, as the compose file should name it. */
  readonly secretsDir: string;
}

export interface DevSecret {
  /** The file name under /run/secrets (the manifest's secret name). */
  readonly name: string;
  /** How its development value is made: random, or a placeholder for a sealed production value. */
  readonly source: { readonly generate: { readonly length: number } } | { readonly sealed: true };
}

export interface ComposeOutput {
  readonly text: string;
  readonly secrets: readonly DevSecret[];
}

/** The placeholder written for a sealed secret: its production value never leaves the controller. */
export const SEALED_PLACEHOLDER = "sealed-in-production-set-a-development-value-here";

/**
 * The site as a docker-compose file for a laptop. Pure. Built from the same rendering as the
 * swarm (renderSite), so the images, environment, volumes and secret files are the
 * production ones; the database answers to its production host name (`<site>_db`) through a
 * network alias, so DB_HOST is unchanged too.
 */
export function renderCompose(input: ComposeInput): ComposeOutput {
  const { site } = input;
  const resources = renderSite(site, input.cluster);
  const service = (role: "web" | "db") => resources.find((r): r is ServiceSpec => r.kind === "service" && r.role === role);
  const web = service("web");
  if (!web) throw new Error(`internal: site ${site.name} has no web service`);
  const db = service("db");
  // Only what the two reproduced services mount (not phpMyAdmin's password or the SSH host key).
  const used = new Set([web, ...(db ? [db] : [])].flatMap((s) => s.shape.secrets.map((r) => r.secretName)));
  const secretSpecs = resources.filter((r): r is SecretSpec => r.kind === "secret" && used.has(r.name));

  const services: Record<string, unknown> = { web: composeService(web, { ports: [`127.0.0.1:${input.port}:${site.web.port}`], dependsOn: db ? ["db"] : [] }) };
  if (db) services.db = composeService(db, { aliases: [db.name] });

  const volumes = Object.fromEntries(resources.filter((r) => r.kind === "volume").map((v) => [logicalVolume(site.name, v.name), {}]));
  const secrets = secretSpecs.map((s): DevSecret => ({ name: s.logicalName, source: "generate" in s.source ? s.source : { sealed: true } }));
  const doc = {
    version: "3.8",
    services,
    ...(Object.keys(volumes).length > 0 ? { volumes } : {}),
    ...(secrets.length > 0 ? { secrets: Object.fromEntries(secrets.map((s) => [s.name, { file: `${input.secretsDir}/${s.name}` }])) } : {}),
  };
  return { text: header(input, secrets) + yaml().stringify(doc, { lineWidth: 0 }), secrets };

  function composeService(spec: ServiceSpec, extra: { ports?: string[]; dependsOn?: string[]; aliases?: string[] }): Record<string, unknown> {
    const s = spec.shape;
    return {
      image: s.image,
      ...(s.args ? { command: [...s.args] } : {}),
      environment: Object.fromEntries(Object.entries(s.env).sort(([a], [b]) => a.localeCompare(b))),
      ...(extra.ports ? { ports: extra.ports } : {}),
      ...(s.mounts.length > 0
        ? { volumes: s.mounts.map((m) => `${logicalVolume(site.name, m.source)}:${m.target}${m.readOnly ? ":ro" : ""}`) }
        : {}),
      ...(s.secrets.length > 0 ? { secrets: s.secrets.map((r) => ({ source: r.target, target: r.target })) } : {}),
      ...(extra.dependsOn && extra.dependsOn.length > 0 ? { depends_on: extra.dependsOn } : {}),
      ...(extra.aliases ? { networks: { default: { aliases: extra.aliases } } } : {}),
    };
  }
}

/** `<site>_files` → `files`: compose prefixes volumes with its project name itself. */
function logicalVolume(site: string, swarmName: string): string {
  return swarmName.startsWith(`${site}_`) ? swarmName.slice(site.length + 1) : swarmName;
}

function header(input: ComposeInput, secrets: readonly DevSecret[]): string {
  const sealed = secrets.filter((s) => "sealed" in s.source).map((s) => s.name);
  const lines = [
    `# Site ${input.site.name} on a laptop, made by \`simulium compose\` from sites/${input.site.name}.yaml.`,
    `# Same images, environment, volumes and secret files as on the swarm; http://127.0.0.1:${input.port}/`,
    `# Secrets are development values in ${input.secretsDir}/ (never the production ones).`,
  ];
  if (sealed.length > 0) {
    lines.push(`# Sealed in production, a placeholder here: ${sealed.join(", ")}. Put a development value in their files.`);
  }
  return lines.join("\n") + "\n";
}

/** `yaml` on first use, not at start: ~10 MB and ~50 ms that every simulium process paid. */
function yaml(): typeof Yaml {
  return require("yaml") as typeof Yaml;
}
