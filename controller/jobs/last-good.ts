/**
 * Per site, what a schedule runs from: a site with a valid manifest gives its current value;
 * a site whose manifest is invalid keeps the value it was last applied with (the controller
 * leaves it as it runs, so its crons and backups go on as they were); a site with neither
 * (its manifest removed) is dropped. Pure.
 */
export function carryLastGood<T>(previous: ReadonlyMap<string, T>, valid: ReadonlyMap<string, T>, invalid: readonly string[]): Map<string, T> {
  const out = new Map(valid);
  for (const site of invalid) {
    const kept = previous.get(site);
    if (kept !== undefined && !out.has(site)) out.set(site, kept);
  }
  return out;
}
