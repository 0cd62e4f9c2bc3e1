import { canonicalJson } from "../../../controller/desired/hash";

/** The reference: JSON.stringify of a copy with sorted keys (what the hash was first defined as). */
function reference(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) if ((v as Record<string, unknown>)[k] !== undefined) out[k] = sort((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

describe("canonicalJson", () => {
  it.each<[string, unknown]>([
    ["nested objects in any key order", { b: 1, a: { d: [1, "x", null], c: true } }],
    ["undefined fields left out, as JSON does", { a: undefined, b: 2 }],
    ["undefined in arrays as null", [1, undefined, 3]],
    ["strings needing escapes", { 'q"uote': 'line\nbreak \u00e9 \\' }],
    ["numbers", { n: 0.1, m: -5e-7, big: 1e21 }],
    ["empty containers", { a: {}, b: [] }],
  ])("matches sorted JSON.stringify: %s", (_name, value) => {
    expect(canonicalJson(value)).toBe(reference(value));
  });

  it("is independent of key order", () => {
    expect(canonicalJson({ x: 1, y: { b: 2, a: 1 } })).toBe(canonicalJson({ y: { a: 1, b: 2 }, x: 1 }));
  });
});
