/**
 * What `simulium seal --site S --name N` encrypts: the value behind a header naming the site
 * and secret it is for. age authenticates the whole plaintext, so the header cannot be
 * edited without the private key; the controller refuses a value found anywhere else. That
 * closes a hole of shared manifests: whoever may edit one site's file could otherwise paste
 * another site's ciphertext into it and have that site's containers receive the plain value.
 */
const MAGIC = "simulium-sealed/v1\n";

/** Where a sealed value belongs: a site and the secret's name. */
export interface SealScope {
  readonly site: string;
  readonly name: string;
}

export function bindValue(value: Buffer, scope: SealScope): Buffer {
  return Buffer.concat([Buffer.from(`${MAGIC}site=${scope.site}\nname=${scope.name}\n\n`), value]);
}

/**
 * The value and the scope it was sealed for; a value sealed without --site (no header) has
 * none and is accepted anywhere, as before binding existed.
 */
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
  if (site === undefined || name === undefined) return { value: plain };
  return { value: plain.subarray(end + 2), scope: { site, name } };
}

/** Why a value cannot be used at `here`, or undefined when it may. */
export function scopeMismatch(scope: SealScope | undefined, here: SealScope): string | undefined {
  if (scope === undefined || (scope.site === here.site && scope.name === here.name)) return undefined;
  return `was sealed for ${describe(scope)}, not for ${describe(here)}: seal the value again with simulium seal --site ${here.site} --name ${here.name}`;
}

const describe = (s: SealScope): string => `site ${s.site}'s secret ${s.name}`;
