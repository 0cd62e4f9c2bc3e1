import { parseProcStatus } from "../../../bench/proc-status";
import { middleSite, showsVersion } from "../../../bench/serve-pick";

describe("figure 3 probes", () => {
  const body = "site: shop\nhost: shop.test\nversion: 2\n";

  it("recognises the served version on its own line only", () => {
    expect(showsVersion(body, "2")).toBe(true);
    expect(showsVersion(body, "1")).toBe(false);
    expect(showsVersion("version: 20\n", "2")).toBe(false);
    expect(showsVersion("subversion: 2\n", "2")).toBe(false);
  });

  it("escapes the version, so a dotted version is not a pattern", () => {
    expect(showsVersion("version: 1.2\n", "1.2")).toBe(true);
    expect(showsVersion("version: 1x2\n", "1.2")).toBe(false);
  });

  it("changes the middle site, and refuses an empty list", () => {
    expect(middleSite(["a", "b", "c", "d"])).toBe("c");
    expect(middleSite(["only"])).toBe("only");
    expect(() => middleSite([])).toThrow(/at least one site/);
  });
});

describe("/proc/<pid>/status memory", () => {
  const status = ["Name:\tnode", "VmPeak:\t 1200000 kB", "VmHWM:\t  204800 kB", "VmRSS:\t  102400 kB", "Threads:\t11", ""].join("\n");

  it("reads VmRSS and VmHWM in MB", () => {
    expect(parseProcStatus(status)).toEqual({ rssMb: 100, hwmMb: 200 });
  });

  it("fails on a status without the lines (a kernel thread, or not Linux)", () => {
    expect(() => parseProcStatus("Name:\tkthreadd\n")).toThrow(/VmRSS/);
  });
});
