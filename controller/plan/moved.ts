import { LABEL } from "../desired/labels";
import type { LiveNode, LiveSecret } from "../live/types";
import type { RetainAction, Unplaced } from "./types";

/**
 * The volumes a `simulium move` left on the node it copied a site from. Node-local volumes on
 * another node than the controller's are not listed by its engine, so the move records them on
 * the swarm: a secret of the site labelled with that node and the volumes' names (LABEL.movedFrom,
 * LABEL.movedVolumes). Pure.
 */
export function isMoveRecord(o: { readonly kind: string; readonly labels: Readonly<Record<string, string>> }): boolean {
  return o.kind === "secret" && o.labels[LABEL.movedFrom] !== undefined;
}

/**
 * One retained volume per volume a move record names, while the site's data is pinned to
 * another node than the record's: a move that was interrupted before the switch (the site
 * still pinned there) or a move back leaves volumes in use, never shown as left behind.
 */
export function movedAwayRetains(record: LiveSecret, pinned: ReadonlyMap<string, string>, nodes: readonly LiveNode[]): Unplaced<RetainAction>[] {
  const from = record.labels[LABEL.movedFrom];
  if (from === undefined || record.site === null || pinned.get(record.site) === from) return [];
  const node = nodes.find((n) => n.id === from)?.hostname || from;
  const volumes = (record.labels[LABEL.movedVolumes] ?? "").split(",").filter((v) => v !== "");
  return volumes.map((name) => ({ op: "retain", kind: "volume", site: record.site, name, id: record.id, reason: "moved-away", node, changes: [] }));
}
