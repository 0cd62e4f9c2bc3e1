/** What a backup run is tagged with: never a secret, only names, ids and hashes. */
export interface RunTags {
  readonly site: string;
  readonly run: string;
  readonly commit?: string;
  /** Hash of the site's rendered spec (resource names, images, settings; no secret value). */
  readonly manifest: string;
  /**
   * The snapshots a whole run has (`parts:database.volumes`): a run that lacks one failed and
   * could not remove what it stored, and is never restored as if whole. Runs made before this
   * tag have none and are taken as they are.
   */
  readonly parts: readonly ("database" | "volumes")[];
}

const TAG = /^[A-Za-z0-9._:-]{1,200}$/;

export class TagError extends Error {}

/** A sortable, unique run id: UTC time to the second and a random suffix. Pure. */
export function runId(now: Date, random: string): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${random}`;
}

/** The restic tags of a run; each is checked, since restic reads a comma as a tag separator. Pure. */
export function runTags(t: RunTags): string[] {
  const tags = [`site:${t.site}`, `run:${t.run}`, ...(t.commit ? [`commit:${t.commit}`] : []), `manifest:${t.manifest}`, `parts:${t.parts.join(".")}`];
  for (const tag of tags) if (!TAG.test(tag)) throw new TagError(`internal: ${JSON.stringify(tag)} is not a valid snapshot tag`);
  return tags;
}
