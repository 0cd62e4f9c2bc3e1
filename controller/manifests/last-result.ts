/**
 * Remembers, per slot (a file path), the result of a pure function for the last input it saw.
 * The daemon loads every manifest on every run while a commit changes a few: a file whose text
 * (and everything else it is checked against) is the same is not parsed and validated again.
 * One entry per slot, so memory follows the number of files, whatever the history.
 */
export class LastResult<R> {
  private readonly entries = new Map<string, { readonly key: string; readonly value: R }>();

  get(slot: string, key: string, compute: () => R): R {
    const hit = this.entries.get(slot);
    if (hit !== undefined && hit.key === key) return hit.value;
    const value = compute();
    this.entries.set(slot, { key, value });
    return value;
  }

  /** Forgets the slots not in `keep` (files removed from the repository). */
  retain(keep: ReadonlySet<string>): void {
    for (const slot of this.entries.keys()) if (!keep.has(slot)) this.entries.delete(slot);
  }
}
