/**
 * What `simulium seal` encrypts: the value behind a header naming where it belongs, a site and
 * secret (`--site S --name N`) or a cluster setting (`--cluster --name N`). age authenticates
 * the whole plaintext, so the header cannot be edited without the private key; the controller
 * refuses a value found anywhere else, and a value without a header. That closes a hole of
 * shared manifests: whoever may edit one site's file could otherwise paste another site's
 * ciphertext, or simulium.yaml's restic password, into it and read the plain value from
 * /run/secrets.
 */
const MAGIC = "simulium-sealed/v1\n";

/** Where a sealed value belongs: a site's secret, or a setting of simulium.yaml. */
export type SealScope = { readonly site: string; readonly name: string } | { readonly cluster: true; readonly name: string };

export function bindValue(value: Buffer, scope: SealScope): Buffer {
  const header = "site" in scope ? `site=${scope.site}\nname=${scope.name}` : `scope=cluster\nname=${scope.name}`;
  return Buffer.concat([Buffer.from(`${MAGIC}${header}\n\n`), value]);
}

/** The value and the scope it was sealed for; no scope when it was sealed without one. */
export function openEnvelope(plain: Buffer): { readonly value: Buffer; readonly scope?: SealScope } {
  if (!plain.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) return { value: plain };
  const end = plain.indexOf("\n\n", MAGIC.length);
  if (end < 0) return { value: plain };
  const fields = new Map(
    plain
      .subarray(MAGIC.length, end)
      .toString("utf8")
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const),
  );
  const site = fields.get("site");
  const name = fields.get("name");
  if (name === undefined) return { value: plain };
  const value = plain.subarray(end + 2);
  if (site !== undefined) return { value, scope: { site, name } };
  if (fields.get("scope") === "cluster") return { value, scope: { cluster: true, name } };
  return { value: plain };
}

/** Why a value sealed for `scope` cannot be used at `here`, or undefined when it may. */
export function scopeMismatch(scope: SealScope | undefined, here: SealScope): string | undefined {
  if (scope !== undefined && sameScope(scope, here)) return undefined;
  const fix = `seal the value again with ${sealCommand(here)}`;
  if (scope === undefined) return `is not bound to where it is used (it was sealed without --site or --cluster, so it could be pasted anywhere): ${fix}`;
  return `was sealed for ${describe(scope)}, not for ${describe(here)}: ${fix}`;
}

/** The command that seals a value for `scope`. */
export function sealCommand(scope: SealScope): string {
  return "site" in scope ? `simulium seal --site ${scope.site} --name ${scope.name}` : `simulium seal --cluster --name ${scope.name}`;
}

function sameScope(a: SealScope, b: SealScope): boolean {
  if ("site" in a) return "site" in b && a.site === b.site && a.name === b.name;
  return !("site" in b) && a.name === b.name;
}

const describe = (s: SealScope): string => ("site" in s ? `site ${s.site}'s secret ${s.name}` : `the cluster setting ${s.name} (simulium.yaml)`);
