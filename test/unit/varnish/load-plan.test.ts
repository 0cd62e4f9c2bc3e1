import type { VclListEntry } from "../../../controller/varnish/admin-protocol";
import { hashOfName, planDiscards } from "../../../controller/varnish/load";

function vcl(name: string, status: VclListEntry["status"] = "available"): VclListEntry {
  return { name, status, state: "auto", temperature: "warm", busy: 0 };
}

const h = (n: number): string => `s_${String(n).padStart(12, "0")}`;

describe("planDiscards", () => {
  it("keeps the last N simulium configurations in load order and discards the older ones", () => {
    const loaded = [vcl(h(1)), vcl(h(2)), vcl(h(3)), vcl(h(4)), vcl(h(5), "active")];
    expect(planDiscards(loaded, 3)).toEqual([h(1), h(2)]);
  });

  it("never discards the active configuration, even when it is older than the kept ones", () => {
    // After a rollback to an old configuration with vcl.use.
    const loaded = [vcl(h(1), "active"), vcl(h(2)), vcl(h(3)), vcl(h(4))];
    expect(planDiscards(loaded, 1)).toEqual([h(2), h(3)]);
  });

  it("leaves configurations it did not name alone, and ones already being discarded", () => {
    const loaded = [vcl("boot"), vcl("operator_debug"), vcl(h(1), "discarded"), vcl(h(2)), vcl(h(3), "active")];
    expect(planDiscards(loaded, 1)).toEqual([h(2)]);
  });

  it("discards nothing when there are at most N", () => {
    expect(planDiscards([vcl(h(1)), vcl(h(2), "active")], 3)).toEqual([]);
  });
});

describe("hashOfName", () => {
  it.each([
    ["s_0123456789ab", "0123456789ab"],
    ["s_0123456789ab_2", "0123456789ab"],
    ["boot", undefined],
    ["s_0123456789AB", undefined],
    ["s_0123456789abc", undefined],
  ])("%s", (name, hash) => expect(hashOfName(name)).toBe(hash));
});
