import { createIdleSettle, memoryReducingGc } from "../../../controller/daemon/memory";

describe("createIdleSettle", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("settles once after the last of a burst of runs, when the delay passed quietly", () => {
    const settle = jest.fn();
    const s = createIdleSettle({ delayMs: 1000, busy: () => false, settle });
    s.afterRun();
    jest.advanceTimersByTime(600);
    s.afterRun();
    jest.advanceTimersByTime(999);
    expect(settle).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(settle).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10_000);
    expect(settle).toHaveBeenCalledTimes(1);
  });

  it("skips the settle while a run is in flight: that run's end schedules the next", () => {
    const settle = jest.fn();
    let busy = true;
    const s = createIdleSettle({ delayMs: 1000, busy: () => busy, settle });
    s.afterRun();
    jest.advanceTimersByTime(1000);
    expect(settle).not.toHaveBeenCalled();
    busy = false;
    s.afterRun();
    jest.advanceTimersByTime(1000);
    expect(settle).toHaveBeenCalledTimes(1);
  });

  it("never settles after stop", () => {
    const settle = jest.fn();
    const s = createIdleSettle({ delayMs: 1000, busy: () => false, settle });
    s.afterRun();
    s.stop();
    jest.advanceTimersByTime(5000);
    expect(settle).not.toHaveBeenCalled();
  });
});

describe("memoryReducingGc", () => {
  it("is offered by this node without --expose-gc, and leaves no global gc behind", () => {
    const hadGc = typeof (globalThis as { gc?: unknown }).gc === "function";
    const gc = memoryReducingGc();
    expect(gc).toBeDefined();
    gc?.();
    expect(typeof (globalThis as { gc?: unknown }).gc === "function").toBe(hadGc);
  });
});
