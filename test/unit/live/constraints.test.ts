import { nodeSatisfies } from "../../../controller/live/constraints";
import type { LiveNode } from "../../../controller/live/types";

const node: LiveNode = {
  id: "abc123",
  hostname: "web-1",
  role: "worker",
  ip: "10.78.0.11",
  os: "linux",
  arch: "x86_64",
  labels: { storage: "SSD", Zone: "a" },
  engineLabels: { kernel: "6" },
  availability: "active",
  state: "ready",
};

describe("placement: does a node satisfy constraints, as Swarm decides?", () => {
  it.each<[string, boolean]>([
    ["node.hostname==web-1", true],
    ["node.hostname==WEB-1", true],
    ["node.hostname!=web-1", false],
    ["node.id==abc123", true],
    ["node.role==manager", false],
    ["node.role != manager", true],
    ["node.platform.os==linux", true],
    ["node.platform.arch==x86_64", true],
    ["node.labels.storage==ssd", true],
    ["node.labels.Zone==a", true],
    ["node.labels.zone==a", false],
    ["node.labels.nope==1", false],
    ["node.labels.nope!=1", true],
    ["engine.labels.kernel==6", true],
    ["node.ip==10.78.0.11", true],
    ["node.ip==10.78.0.0/24", true],
    ["node.ip==10.79.0.0/16", false],
    ["node.unknown==x", false],
  ])("%s → %s", (constraint, expected) => {
    expect(nodeSatisfies([constraint], node)).toBe(expected);
  });

  it("needs every constraint", () => {
    expect(nodeSatisfies(["node.role==worker", "node.labels.storage==ssd"], node)).toBe(true);
    expect(nodeSatisfies(["node.role==worker", "node.labels.nope==1"], node)).toBe(false);
    expect(nodeSatisfies([], node)).toBe(true);
  });
});
