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
  /** `simulium.routing.<field>` on the web service: the site's `spec.routing`, one label per set field. */
  routingPrefix: "simulium.routing.",
  /**
   * Set on a service after Swarm rolled back an update: the spec hash that failed, and why.
   * Swarm keeps no record of it (the rolled-back spec replaces the failed one), and without
   * one every periodic reconcile would try the same broken update again.
   */
  failedSpec: "simulium.failed-spec-hash",
  failedReason: "simulium.failed-reason",
  /**
   * Set on a web service while a restore or an import has it scaled to 0: `<what> until
   * <ISO time>`. Until then no reconcile touches the service (it would scale the site back up
   * under a half-loaded database); after it, the hold is stale and the manifest wins again.
   */
  maintenance: "simulium.maintenance",
  /**
   * On a job service (role=job): when it is overdue, ISO time (creation + its timeout + a
   * margin). Its runner removes it long before; past this, no runner is left (killed CLI or
   * daemon) and the next reconcile removes it (controller/plan/stale-jobs.ts).
   */
  jobDeadline: "simulium.job-deadline",
  /**
   * Set on a web service in the same update that deploys a spec with postDeploy hooks, and
   * removed once they ran: a controller that stops in between runs them on its next reconcile.
   */
  pendingHook: "simulium.pending-hook",
  /**
   * The node a site's data lives on (desired/placement.ts): on its web service, on every
   * service that mounts its volumes, and on its secrets and volumes, which outlive the
   * services when a removed site's data is retained.
   */
  node: "simulium.node",
  /**
   * "true" on a secret that only copies what the controller keeps elsewhere (a certificate from
   * the state directory): no data, so removed once no longer declared, like a superseded one.
   */
  derived: "simulium.derived",
  /**
   * On the record a `simulium move` leaves (a secret of the site, no value anyone reads): the
   * node the site's data was copied from, and (movedVolumes, comma-separated) the volumes kept
   * there. The plan shows them as retained until the operator removes them on that node.
   */
  movedFrom: "simulium.moved-from",
  movedVolumes: "simulium.moved-volumes",
  userPrefix: "simulium.label.",
  stackNamespace: "com.docker.stack.namespace",
} as const;

/** `simulium.role` of one-off job services (exec, crons): the instance's, never in the desired state. */
export const JOB_ROLE = "job";

/** Never a reason to update: the commit changes without the spec changing, and the spec
 * hash is derived from fields that are compared one by one. */
export const VOLATILE_LABELS: ReadonlySet<string> = new Set([LABEL.commit, LABEL.specHash, LABEL.failedSpec, LABEL.failedReason, LABEL.maintenance, LABEL.pendingHook]);
