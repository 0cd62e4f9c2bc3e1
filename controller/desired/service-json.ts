import { canonicalJson, quote } from "./hash";
import type { ContainerHealthcheck, Labels, PublishedPort, ServiceMount, ServiceSecretRef, ServiceShape, UpdatePolicy } from "./types";

/**
 * canonicalJson({ labels, shape }) of a service, written field by field. Services are most of
 * what the render hashes (two per site, ~1 KB each), and walking them generically (keys
 * listed and sorted for every object) was half the render's time at 10,000 sites. The
 * output is byte for byte the generic one's, so spec hashes do not change (a changed hash
 * would read as a manifest change and run deploy hooks); a unit test compares the two.
 */
export function serviceJson(shape: ServiceShape, labels: Labels): string {
  // Keys in sorted order, as canonicalJson writes them.
  return (
    `{"labels":${record(labels)},"shape":{` +
    `"args":${shape.args === null ? "null" : strings(shape.args)},` +
    `"constraints":${strings(shape.constraints)},` +
    `"endpointMode":${str(shape.endpointMode)},` +
    `"env":${record(shape.env)},` +
    (shape.global === undefined ? "" : `"global":true,`) +
    (shape.healthcheck === undefined ? "" : `"healthcheck":${healthcheck(shape.healthcheck)},`) +
    `"image":${str(shape.image)},` +
    `"memoryBytes":${num(shape.memoryBytes)},` +
    `"mounts":${list(shape.mounts, mount)},` +
    `"nanoCpus":${num(shape.nanoCpus)},` +
    `"networks":${strings(shape.networks)},` +
    `"ports":${list(shape.ports, port)},` +
    `"replicas":${num(shape.replicas)},` +
    `"secrets":${list(shape.secrets, secret)},` +
    (shape.spread === undefined ? "" : `"spread":${strings(shape.spread)},`) +
    (shape.stopGracePeriodSeconds === undefined ? "" : `"stopGracePeriodSeconds":${num(shape.stopGracePeriodSeconds)},`) +
    (shape.sysctls === undefined ? "" : `"sysctls":${record(shape.sysctls)},`) +
    `"taskLabels":${record(shape.taskLabels)},` +
    `"update":${update(shape.update)}}}`
  );
}

/** Every field serviceJson writes; the compile-time check below fails when ServiceShape grows one. */
const WRITTEN = ["args", "constraints", "endpointMode", "env", "global", "healthcheck", "image", "memoryBytes", "mounts", "nanoCpus", "networks", "ports", "replicas", "secrets", "spread", "stopGracePeriodSeconds", "sysctls", "taskLabels", "update"] as const;
type Unwritten = Exclude<keyof ServiceShape, (typeof WRITTEN)[number]>;
export const SERVICE_JSON_COMPLETE: [Unwritten] extends [never] ? true : Unwritten = true;

const mount = (m: ServiceMount): string => `{"readOnly":${m.readOnly},"source":${str(m.source)},"target":${str(m.target)}}`;
const secret = (s: ServiceSecretRef): string =>
  `{${s.mode === undefined ? "" : `"mode":${num(s.mode)},`}"secretName":${str(s.secretName)},"target":${str(s.target)}}`;
const port = (p: PublishedPort): string => `{"mode":${str(p.mode)},"protocol":${str(p.protocol)},"published":${num(p.published)},"target":${num(p.target)}}`;
const healthcheck = (h: ContainerHealthcheck): string =>
  `{"intervalSeconds":${num(h.intervalSeconds)},"retries":${num(h.retries)},"startPeriodSeconds":${num(h.startPeriodSeconds)},"test":${strings(h.test)},"timeoutSeconds":${num(h.timeoutSeconds)}}`;
const update = (u: UpdatePolicy): string =>
  `{"delaySeconds":${num(u.delaySeconds)},"failureAction":${str(u.failureAction)},"monitorSeconds":${num(u.monitorSeconds)},"order":${str(u.order)},"parallelism":${num(u.parallelism)}}`;

function list<T>(items: readonly T[], write: (item: T) => string): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) out += (i > 0 ? "," : "") + write(items[i]);
  return out + "]";
}

const strings = (items: readonly string[]): string => list(items, str);

/** Maps written by the manifest's author (env, labels): their keys are sorted here. */
const record = (r: Readonly<Record<string, string>>): string => canonicalJson(r);

const num = (n: number | null): string => JSON.stringify(n);

const str = quote;
