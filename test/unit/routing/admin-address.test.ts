import { adminHost, inCidr, subnetsOf } from "../../../controller/routing/admin-address";
import { live } from "./live-builder";

describe("routing: reaching a Varnish task's admin port", () => {
  it("tells whether an address is inside a subnet", () => {
    expect(inCidr("10.0.9.14", "10.0.9.0/24")).toBe(true);
    expect(inCidr("10.0.10.1", "10.0.9.0/24")).toBe(false);
    expect(inCidr("172.18.0.1", "172.16.0.0/12")).toBe(true);
    expect(inCidr("10.0.9.14", "10.0.9.14")).toBe(true);
    expect(inCidr("10.0.9.14", "10.0.9.0/33")).toBe(false);
  });

  it("uses the task's admin-network address from inside the admin network, its gwbridge address from the host", () => {
    const base = live([{ name: "sim_varnish" }], [{ service: "sim_varnish", ip: "10.0.9.30", containerId: "abc" }]).tasks[0];
    if (!base) throw new Error("no task");
    const task = { ...base, addresses: { ...base.addresses, sim_admin: "10.0.8.4" } };
    // Never the edge address: the admin port does not listen there.
    expect(adminHost({ via: "admin", network: "sim_admin" }, task)).toBe("10.0.8.4");
    expect(adminHost({ via: "gwbridge", containers: new Map([["abc", "172.18.0.5"]]) }, task)).toBe("172.18.0.5");
    expect(adminHost({ via: "gwbridge", containers: new Map() }, task)).toBeUndefined();
  });

  it("reads the admin network's IPv4 subnets from the live state", () => {
    const state = live([], []);
    const withAdmin = { ...state, networks: [...state.networks, { ...state.networks[0]!, id: "net-admin", name: "sim_admin", subnets: ["10.0.8.0/24", "fd00::/64"] }] };
    expect(subnetsOf("sim_admin", withAdmin)).toEqual(["10.0.8.0/24"]);
    expect(subnetsOf("sim_admin", state)).toEqual([]);
  });
});
