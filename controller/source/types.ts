/** One commit as an operator reads it (status, history, audit log). Plain data. */
export interface Revision {
  /** Full commit sha; "local" for edited or unversioned manifests (see commit.ts). */
  readonly sha: string;
  readonly author: string;
  readonly email: string;
  /** ISO 8601 author date. */
  readonly date: string;
  readonly subject: string;
}

/** What one sync brought in force. */
export interface SyncResult extends Revision {
  /** The new head does not descend from the one in force before: history was rewritten. */
  readonly forced: boolean;
  /** The content in force differs from the previous sync (always true on the first one). */
  readonly changed: boolean;
}

/**
 * Where manifests come from. The daemon reads files under `dir` after each `sync()`;
 * git and directory sources both fit it so `simulium run` treats them alike.
 */
export interface Source {
  /** Directory holding the manifests working tree. */
  readonly dir: string;
  sync(): Promise<SyncResult>;
  /** The revision currently in `dir`, or undefined before the first successful sync. */
  headCommit(): Promise<Revision | undefined>;
}
