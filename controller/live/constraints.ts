import { isIP } from "node:net";
import type { LiveNode } from "./types";

/**
 * Whether a node satisfies placement constraints, as Swarm decides it (swarmkit's
 * constraint.NodeMatches): `key==value` / `key!=value`, keys and values compared without
 * case except label names, a missing label read as "", an unknown key never satisfied. Swarm
 * keeps a task in place after a constraints-only update when its node still satisfies them;
 * convergence needs the same answer to tell a kept task from one not replaced yet, and
 * choosing the node a site's data is pinned to (plan/placement.ts) the same rules. Pure.
 */
export function nodeSatisfies(constraints: readonly string[], node: LiveNode): boolean {
  return constraints.every((c) => satisfies(c, node));
}

const CONSTRAINT = /^\s*([^=!\s]+)\s*(==|!=)\s*(.*?)\s*$/;

function satisfies(constraint: string, node: LiveNode): boolean {
  const m = CONSTRAINT.exec(constraint);
  if (!m) return false;
  const [, rawKey = "", op, expected = ""] = m;
  const key = rawKey.toLowerCase();
  const equal = (actual: string) => actual.toLowerCase() === expected.toLowerCase();
  let match: boolean;
  if (key === "node.id") match = equal(node.id);
  else if (key === "node.hostname") match = equal(node.hostname);
  else if (key === "node.role") match = equal(node.role);
  else if (key === "node.platform.os") match = equal(node.os);
  else if (key === "node.platform.arch") match = equal(node.arch);
  else if (key === "node.ip") match = ipMatches(node.ip, expected);
  else if (key.startsWith("node.labels.")) match = equal(node.labels[rawKey.slice("node.labels.".length)] ?? "");
  else if (key.startsWith("engine.labels.")) match = equal(node.engineLabels[rawKey.slice("engine.labels.".length)] ?? "");
  else return false;
  return op === "==" ? match : !match;
}

/** An address, or an IPv4 CIDR block. */
function ipMatches(ip: string, expected: string): boolean {
  const [base = "", bits] = expected.split("/");
  if (bits === undefined) return ip === expected;
  if (isIP(base) !== 4 || isIP(ip) !== 4) return false;
  const n = Number(bits);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  const num = (a: string) => a.split(".").reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  return ((num(ip) & mask) >>> 0) === ((num(base) & mask) >>> 0);
}
