/**
 * Figure 4, one size per process (so one size's heap never inflates the next one's peak):
 * load (parse + validate) + render + diff of N synthetic sites against a synthetic live state
 * with ~1% of the sites changed. Prints one JSON line.
 */
import { renderDesired } from "../controller/desired/render";
import { loadFiles } from "../controller/manifests/load";
import { makePlan } from "../controller/plan/plan";
import { isMutation } from "../controller/plan/types";
import type { PlanScaleResult } from "./plan-scale-types";
import { liveFromDesired, onePercent, syntheticRepo } from "./synthetic";


function main(): void {
  const count = Number(process.argv[2]);
  if (!Number.isInteger(count) || count <= 0) throw new Error(`usage: plan-scale <sites>, got ${process.argv[2] ?? "nothing"}`);
  let peakHeap = 0;
  const sample = (): void => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  const files = syntheticRepo("bench", "site", count);
  const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

  let t = process.hrtime.bigint();
  const load = loadFiles(files);
  const loadMs = ms(t);
  sample();
  if (!load.cluster || load.errors.length > 0) throw new Error(`synthetic repository does not load: ${load.errors.map((e) => e.message).join("; ")}`);

  t = process.hrtime.bigint();
  const desired = renderDesired({ sites: load.sites, cluster: load.cluster, invalidSites: load.invalidSites });
  const renderMs = ms(t);
  sample();

  const changed = onePercent(desired.sites);
  const live = liveFromDesired(desired, changed);
  sample();
  t = process.hrtime.bigint();
  const plan = makePlan(desired, live, load.errors);
  const diffMs = ms(t);
  sample();

  t = process.hrtime.bigint();
  const again = renderDesired({ sites: load.sites, cluster: load.cluster, invalidSites: load.invalidSites });
  const warmRenderMs = ms(t);
  t = process.hrtime.bigint();
  const replan = makePlan(again, live, load.errors);
  const warmDiffMs = ms(t);
  sample();

  const actions = plan.actions.filter(isMutation).length;
  if (replan.actions.filter(isMutation).length !== actions) throw new Error("the second plan over the same input differs from the first");
  // A plan that does not update exactly the changed sites' web services measured the wrong thing.
  if (actions !== changed.size) throw new Error(`expected ${changed.size} updates, the plan has ${actions} mutations`);
  const result: PlanScaleResult = {
    sites: count,
    changedSites: changed.size,
    loadMs,
    renderMs,
    diffMs,
    warmRenderMs,
    warmDiffMs,
    actions,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapUsedMb: peakHeap / 2 ** 20,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

main();
