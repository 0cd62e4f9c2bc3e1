import { canonicalJson, shortHash } from "../../../controller/desired/hash";
import { serviceSpecHash } from "../../../controller/desired/service-hash";
import { LABEL } from "../../../controller/desired/labels";
import type { ResolvedSite } from "../../../controller/manifests/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { find } from "./helpers";

/** The same data with every object's keys in reverse order. */
function reverseKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reverseKeys) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)])) as T;
  }
  return value;
}

describe("render: determinism", () => {
  it("gives identical output for identical input", () => {
    expect(desiredOf([site({ name: "acme" }), site({ name: "beta" })])).toEqual(desiredOf([site({ name: "acme" }), site({ name: "beta" })]));
    expect(JSON.stringify(desiredOf([site()]))).toBe(JSON.stringify(desiredOf([site()])));
  });

  it("gives the same hashes and names whatever the key order of the input", () => {
    const a = desiredOf([site()]);
    const b = desiredOf([reverseKeys<ResolvedSite>(site())]);
    const summary = (d: typeof a) => d.resources.map((r) => `${r.kind}/${r.name}#${r.kind === "service" ? serviceSpecHash(r) : r.labels[LABEL.specHash]}`).sort();
    expect(summary(b)).toEqual(summary(a));
  });

  it("changes a service's spec hash when its spec changes, and only that service's", () => {
    const a = desiredOf([site()]);
    const b = desiredOf([site({ web: { image: "registry.example.com/drupal-civicrm:10.4" } })]);
    const hash = (d: typeof a, n: string) => serviceSpecHash(find(d, "service", n));
    expect(hash(b, "acme_web")).not.toBe(hash(a, "acme_web"));
    expect(hash(b, "acme_db")).toBe(hash(a, "acme_db"));
  });

  it("changes the web spec hash when only a service label (domains) changes", () => {
    const hash = (domains: string[]) => serviceSpecHash(find(desiredOf([site({ domains })]), "service", "acme_web"));
    expect(hash(["a.example.org"])).not.toBe(hash(["b.example.org"]));
  });

  it("does not depend on the order sites are listed in", () => {
    const byName = (d: ReturnType<typeof desiredOf>) => [...d.resources].sort((x, y) => `${x.kind}${x.name}`.localeCompare(`${y.kind}${y.name}`));
    expect(byName(desiredOf([site({ name: "beta" }), site({ name: "acme" })]))).toEqual(byName(desiredOf([site({ name: "acme" }), site({ name: "beta" })])));
  });
});

describe("hash: canonical JSON", () => {
  it("sorts keys at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it("keeps array order: order in a list is meaning", () => {
    expect(shortHash([1, 2])).not.toBe(shortHash([2, 1]));
  });

  it("treats an undefined field as absent", () => {
    expect(shortHash({ a: 1, b: undefined })).toBe(shortHash({ a: 1 }));
  });

  it("gives hex of the asked length", () => {
    expect(shortHash({ a: 1 })).toMatch(/^[0-9a-f]{12}$/);
    expect(shortHash({ a: 1 }, 10)).toMatch(/^[0-9a-f]{10}$/);
    expect(shortHash({ a: 1 }, 10)).toBe(shortHash({ a: 1 }).slice(0, 10));
  });
});
