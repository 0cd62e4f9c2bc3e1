import { shortHash } from "../desired/hash";
import { LABEL } from "../desired/labels";
import { names, SECRET_HASH_LENGTH } from "../desired/names";

/**
 * What a move leaves on the swarm about the volumes it kept on the old node (plan/moved.ts
 * shows them as retained). A node-local volume on another node than the controller's is not
 * listed by its engine, so the record is a secret of the site (swarm-wide, read with the rest
 * of the site's objects every reconcile, never removed by one): its labels name the node and
 * the volumes; its value says the same for a person who reads it with `docker secret inspect`
 * (no secret in it). One per site and old node: a move run again finds it made. Pure.
 */
export interface MoveRecord {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly data: string;
}

export function moveRecord(instance: string, site: string, from: string, volumes: readonly string[]): MoveRecord {
  return {
    name: names.secret(site, "moved", shortHash(from, SECRET_HASH_LENGTH)),
    labels: {
      [LABEL.instance]: instance,
      [LABEL.site]: site,
      [LABEL.stackNamespace]: site,
      [LABEL.movedFrom]: from,
      [LABEL.movedVolumes]: [...volumes].sort().join(","),
    },
    data: `${JSON.stringify({ site, movedFrom: from, volumesKeptThere: [...volumes].sort() })}\n`,
  };
}
