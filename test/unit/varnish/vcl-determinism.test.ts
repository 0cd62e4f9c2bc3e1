import { renderVcl, vclHash } from "../../../controller/varnish/vcl";
import { input, site } from "./fixtures";

describe("renderVcl determinism", () => {
  const a = site("alpha", { domains: ["www.alpha.org", "alpha.org"], backends: [{ host: "10.0.1.10", port: 80 }, { host: "10.0.1.9", port: 80 }] });
  const b = site("beta", { backends: [{ host: "10.0.1.3", port: 80 }] });

  it("gives the same text for the same sites in any order", () => {
    const one = renderVcl(input([a, { ...b, purgers: ["10.0.1.3", "10.0.1.20"] }]));
    const two = renderVcl(
      input([{ ...b, purgers: ["10.0.1.20", "10.0.1.3", "10.0.1.20"] }, { ...a, backends: [...a.backends].reverse() }]),
    );
    expect(two).toBe(one);
    expect(vclHash(two)).toBe(vclHash(one));
  });

  it("changes when a backend changes", () => {
    const one = renderVcl(input([a, b]));
    const moved = renderVcl(input([a, { ...b, backends: [{ host: "10.0.1.4", port: 80 }] }]));
    expect(moved).not.toBe(one);
    expect(vclHash(moved)).not.toBe(vclHash(one));
  });

  it("orders backends numerically by address and drops duplicates", () => {
    const vcl = renderVcl(input([{ ...a, backends: [{ host: "10.0.1.10", port: 80 }, { host: "10.0.1.9", port: 80 }, { host: "10.0.1.9", port: 80 }] }]));
    expect([...vcl.matchAll(/backend (b_\w+) \{\n\s+\.host = "([^"]+)"/g)].map((m) => `${m[1]}=${m[2]}`)).toEqual([
      "b_alpha_0=10.0.1.9",
      "b_alpha_1=10.0.1.10",
    ]);
  });

  it("hashes as SHA-256 hex", () => {
    expect(vclHash("vcl 4.1;\n")).toMatch(/^[0-9a-f]{64}$/);
    expect(vclHash("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});
