import type Docker from "dockerode";
import { AfterApplyOptions, routeAfterApply } from "./after-apply";
import type { RoutingResult } from "./sync";

/**
 * After a command moved a site's tasks (restore, import scale web to 0 and back): the new
 * tasks have new addresses, and no reconcile follows, so the VCL is re-synced here, before
 * the command returns. Never throws: a failure is the result (the command's own outcome
 * must not be hidden by it). null when no Varnish is configured.
 */
export async function routeAfterMove(docker: Docker, opts: AfterApplyOptions): Promise<RoutingResult | null> {
  try {
    return await routeAfterApply(docker, opts);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    opts.log.error({ err: error }, "routing not updated after the site's tasks moved");
    return { vclHash: null, tasks: [], error, ok: false };
  }
}

/** One line for the command's output: what Varnish serves now. */
export function routingLine(r: RoutingResult | null): string {
  if (r === null) return "routing: no Varnish configured";
  if (r.error) return `routing: NOT updated: ${r.error}`;
  const failed = r.tasks.filter((t) => !t.ok);
  const hash = r.vclHash?.slice(0, 12) ?? "";
  if (failed.length > 0) return `routing: VCL ${hash} FAILED on ${failed.length} of ${r.tasks.length} Varnish task(s): ${failed[0]?.error ?? ""}`;
  return `routing: VCL ${hash} loaded on ${r.tasks.length} Varnish task(s)`;
}
