import { varnishSettled } from "../../../controller/routing/after-apply";
import type { LiveService, LiveState, LiveTask } from "../../../controller/live/types";
import { live } from "./live-builder";

/** Three Varnish replicas wanted; the tasks as given. */
function varnish(tasks: { state: string; error?: string }[]): LiveState {
  const base = live([{ name: "sim_varnish" }], tasks.map((t) => ({ service: "sim_varnish", state: t.state })));
  const services = base.services.map((s): LiveService => ({ ...s, shape: { ...(s as { shape?: LiveService["shape"] }).shape, replicas: 3 } as LiveService["shape"] }));
  const withErrors = base.tasks.map((t, i): LiveTask => ({ ...t, error: tasks[i]?.error ?? null }));
  return { ...base, services, tasks: withErrors };
}

describe("routing after an apply: when the Varnish tasks are settled", () => {
  it("all replicas running: settled", () => {
    expect(varnishSettled("sim_varnish", varnish([{ state: "running" }, { state: "running" }, { state: "running" }]))).toBe(true);
  });

  it("a replica still starting: not yet", () => {
    expect(varnishSettled("sim_varnish", varnish([{ state: "running" }, { state: "running" }, { state: "starting" }]))).toBe(false);
    expect(varnishSettled("sim_varnish", varnish([{ state: "running" }, { state: "running" }, { state: "pending" }]))).toBe(false);
  });

  it("a replica Swarm cannot place (its node drained or down, no other node has the port free): settled without it", () => {
    const error = "no suitable node (host-mode port already in use on 2 nodes)";
    expect(varnishSettled("sim_varnish", varnish([{ state: "running" }, { state: "running" }, { state: "pending", error }]))).toBe(true);
  });
});
