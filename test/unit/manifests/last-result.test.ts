import { loadFiles } from "../../../controller/manifests/load";
import { LastResult } from "../../../controller/manifests/last-result";
import { siteYaml } from "./helpers";

describe("LastResult: a file's check is remembered until its input changes", () => {
  it("computes once per key and again when the key of that slot changes", () => {
    const memo = new LastResult<number>();
    let calls = 0;
    const compute = (v: number) => () => (calls++, v);
    expect(memo.get("a", "k1", compute(1))).toBe(1);
    expect(memo.get("a", "k1", compute(99))).toBe(1);
    expect(memo.get("b", "k1", compute(2))).toBe(2);
    expect(memo.get("a", "k2", compute(3))).toBe(3);
    expect(calls).toBe(3);
  });

  it("forgets slots that are not kept", () => {
    const memo = new LastResult<string>();
    memo.get("a", "k", () => "first");
    memo.get("b", "k", () => "first");
    memo.retain(new Set(["b"]));
    expect(memo.get("a", "k", () => "again")).toBe("again");
    expect(memo.get("b", "k", () => "again")).toBe("first");
  });
});

describe("loading with remembered checks", () => {
  const cluster = (image: string): string => `apiVersion: simulium/v1\nkind: Cluster\nspec:\n  defaults:\n    web: {image: ${image}}\n`;
  const site = siteYaml().replace("    image: registry.example.com/drupal:10.3\n", "    port: 8080\n");

  it("checks an unchanged site again when simulium.yaml's defaults change", () => {
    const first = loadFiles([{ path: "simulium.yaml", text: cluster("simulium/web:1") }, { path: "sites/acme.yaml", text: site }]);
    const second = loadFiles([{ path: "simulium.yaml", text: cluster("simulium/web:2") }, { path: "sites/acme.yaml", text: site }]);
    expect(first.sites[0]?.web.image).toBe("simulium/web:1");
    expect(second.sites[0]?.web.image).toBe("simulium/web:2");
  });

  it("still locates a domain conflict found between remembered sites", () => {
    const files = [
      { path: "simulium.yaml", text: cluster("simulium/web:1") },
      { path: "sites/acme.yaml", text: site },
      { path: "sites/other.yaml", text: site.replace("name: acme", "name: other") },
    ];
    loadFiles(files.filter((f) => f.path !== "sites/other.yaml"));
    const r = loadFiles(files);
    const again = loadFiles(files);
    expect(r.invalidSites).toEqual(["other"]);
    expect(again.errors).toEqual(r.errors);
    expect(r.errors.map((e) => [e.file, e.line, e.path])).toEqual([["sites/other.yaml", 7, "spec.domains[0]"]]);
  });
});
