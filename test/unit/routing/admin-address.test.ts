import { adminHost, inCidr } from "../../../controller/routing/admin-address";
import { live } from "./live-builder";

describe("routing: reaching a Varnish task's admin port", () => {
  it("tells whether an address is inside a subnet", () => {
    expect(inCidr("10.0.9.14", "10.0.9.0/24")).toBe(true);
    expect(inCidr("10.0.10.1", "10.0.9.0/24")).toBe(false);
    expect(inCidr("172.18.0.1", "172.16.0.0/12")).toBe(true);
    expect(inCidr("10.0.9.14", "10.0.9.14")).toBe(true);
    expect(inCidr("10.0.9.14", "10.0.9.0/33")).toBe(false);
  });

  it("uses the task's edge address from inside the edge network, its gwbridge address from the host", () => {
    const task = live([{ name: "sim_varnish" }], [{ service: "sim_varnish", ip: "10.0.9.30", containerId: "abc" }]).tasks[0];
    if (!task) throw new Error("no task");
    expect(adminHost({ via: "edge", network: "sim_edge" }, task)).toBe("10.0.9.30");
    expect(adminHost({ via: "gwbridge", containers: new Map([["abc", "172.18.0.5"]]) }, task)).toBe("172.18.0.5");
    expect(adminHost({ via: "gwbridge", containers: new Map() }, task)).toBeUndefined();
  });
});
