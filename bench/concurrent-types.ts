/** Figure 8: one site's change while another site rolls out (issue 20, item 5). */
export interface ConcurrentServeResult {
  /** Sites on the instance (all web-only, through one Varnish). */
  readonly sites: number;
  /** Swarm's update monitor of the instance (the product's default). */
  readonly monitorSeconds: number;
  /** Commit→serving of site B through Varnish with the daemon idle, per repetition. */
  readonly idleSeconds: readonly number[];
  /** The same while site A's update is in flight (pushed and announced just before), per repetition. */
  readonly duringSeconds: readonly number[];
  /**
   * Push→B's update started in Swarm (the service's UpdateStatus.StartedAt), idle and during A's
   * rollout, per repetition: the daemon's part of the figures above, without the engine's time to
   * start the new task (which a loaded machine stretches).
   */
  readonly idleUpdateSeconds?: readonly number[];
  readonly duringUpdateSeconds?: readonly number[];
  /** Per repetition during A: A's run was still in flight when B served. */
  readonly aStillRolling: readonly boolean[];
  /** Commit→serving of A itself in those repetitions (its rollout). */
  readonly aSeconds: readonly number[];
  readonly ok: boolean;
  readonly error?: string;
  readonly loadAverage: readonly number[];
}
