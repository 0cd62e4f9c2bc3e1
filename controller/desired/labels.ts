/** Label keys: the contract every other part (and operators' own tooling) relies on. */
export const LABEL = {
  instance: "simulium.instance",
  site: "simulium.site",
  commit: "simulium.commit",
  specHash: "simulium.spec-hash",
  role: "simulium.role",
  secret: "simulium.secret",
  deletionPolicy: "simulium.deletion-policy",
  /** On the web service, not its tasks: a routing change must not restart the site. */
  domains: "simulium.domains",
  userPrefix: "simulium.label.",
  stackNamespace: "com.docker.stack.namespace",
} as const;

/** Never a reason to update: the commit changes without the spec changing, and the spec
 * hash is derived from fields that are compared one by one. */
export const VOLATILE_LABELS: ReadonlySet<string> = new Set([LABEL.commit, LABEL.specHash]);
