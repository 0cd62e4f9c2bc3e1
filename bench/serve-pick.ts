/** The page the web image serves shows `version: <SITE_VERSION>`. */
export const showsVersion = (body: string, version: string): boolean => new RegExp(`^version: ${version.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m").test(body);

/** The site figure 3 changes: the middle one of the list in loop order, so the baseline loop reaches it half-way, as on average. */
export const middleSite = (sites: readonly string[]): string => {
  const s = sites[Math.floor(sites.length / 2)];
  if (s === undefined) throw new Error("figure 3 needs at least one site");
  return s;
};
