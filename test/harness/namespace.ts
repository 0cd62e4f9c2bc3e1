import { randomBytes } from "node:crypto";

/** The label every object a test creates carries; cleanup removes exactly what has it. */
export const TEST_LABEL = "simulium.test";

export interface Namespace {
  /** A unique, docker-name-safe prefix such as `t3f9a01c2` (also usable as a simulium instance name). */
  readonly name: string;
  /** Labels to put on every object the test creates. */
  readonly labels: Readonly<Record<string, string>>;
  /** The engine's list filter for those labels, `simulium.test=<name>`. */
  readonly filter: string;
}

export function namespace(): Namespace {
  const name = `t${randomBytes(4).toString("hex")}`;
  return { name, labels: { [TEST_LABEL]: name }, filter: `${TEST_LABEL}=${name}` };
}
