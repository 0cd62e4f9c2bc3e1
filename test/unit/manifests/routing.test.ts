import { loadFiles } from "../../../controller/manifests/load";
import { resolveSite } from "../../../controller/manifests/resolve";
import type { Site } from "../../../controller/manifests/types";
import { loadSite, onlyError, siteYaml } from "./helpers";

/** siteYaml plus a `routing:` block under spec (lines 10.. of the file). */
const withRouting = (block: string): string => siteYaml() + ["  routing:", ...block.split("\n").map((l) => `    ${l}`), ""].join("\n");

const minimal: Site = { apiVersion: "simulium/v1", kind: "Site", metadata: { name: "acme" }, spec: { domains: ["acme.org"], web: { image: "img:1" } } };

describe("spec.routing: schema", () => {
  it("accepts every documented field and resolves them as written", () => {
    const text = withRouting("cache: true\npassPaths: [/shop, /donate/now, /a.b_c~d-e]\nttl: 300\nstaticTtl: 0\ngrace: 60\nfirstByteTimeout: 600");
    const r = loadFiles([{ path: "sites/acme.yaml", text }]);
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.routing).toEqual({ cache: true, passPaths: ["/shop", "/donate/now", "/a.b_c~d-e"], ttl: 300, staticTtl: 0, grace: 60, firstByteTimeout: 600 });
  });

  it.each([
    ['/shop"; } sub vcl_recv { return (pipe); } #', 'VCL injection through a quote'],
    ["/shop\\nreturn(pipe)", "a backslash"],
    ["/shop|.*", "a regex alternative"],
    ["/shop cart", "a space"],
    ["/caf%C3%A9", "a percent escape"],
    ["shop", "a relative path"],
  ])("refuses passPaths %j (%s) at its file:line:column and field", (path) => {
    const text = withRouting(`passPaths:\n  - /ok\n  - ${JSON.stringify(path)}`);
    const e = onlyError(loadSite("acme", text));
    expect(e).toMatchObject({ file: "sites/acme.yaml", line: 13, column: 9, path: "spec.routing.passPaths[1]" });
    expect(e.message).toBe(`${JSON.stringify(path)} is not valid: expected an absolute path prefix: letters, digits and . _ ~ / - only.`);
  });

  it("refuses an unknown routing field (a typo never silently does nothing)", () => {
    expect(onlyError(loadSite("acme", withRouting("tll: 300")))).toMatchObject({ line: 11, column: 5, path: "spec.routing.tll" });
  });

  it.each([
    ["ttl: -1", "spec.routing.ttl"],
    ["grace: 1.5", "spec.routing.grace"],
    ["firstByteTimeout: 0", "spec.routing.firstByteTimeout"],
    ["firstByteTimeout: 3601", "spec.routing.firstByteTimeout"],
    ['cache: "no"', "spec.routing.cache"],
    ["passPaths: [/a, /a]", "spec.routing.passPaths[1]"],
  ])("refuses %s", (line, path) => {
    expect(onlyError(loadSite("acme", withRouting(line)))).toMatchObject({ file: "sites/acme.yaml", line: 11, path });
  });
});

describe("spec.routing: resolution", () => {
  const resolve = (routing: NonNullable<Site["spec"]["routing"]> | undefined) => {
    const r = resolveSite({ ...minimal, spec: { ...minimal.spec, ...(routing ? { routing } : {}) } }, "sites/acme.yaml");
    if (!r.ok) throw new Error("expected ok");
    return r.site;
  };

  it("keeps only the fields the site sets, so unset ones follow the renderer's defaults", () => {
    expect(resolve({ ttl: 0, cache: false })).toHaveProperty("routing", { ttl: 0, cache: false });
  });

  it("makes `routing: {}` and an empty passPaths the same site as no routing at all", () => {
    expect(resolve(undefined)).not.toHaveProperty("routing");
    expect(resolve({})).not.toHaveProperty("routing");
    expect(resolve({ passPaths: [] })).not.toHaveProperty("routing");
  });

  it("copies passPaths (the resolved site shares nothing with the parsed document)", () => {
    const passPaths = ["/shop"];
    const site = resolve({ passPaths });
    passPaths.push("/mutated");
    expect(site.routing?.passPaths).toEqual(["/shop"]);
  });
});
