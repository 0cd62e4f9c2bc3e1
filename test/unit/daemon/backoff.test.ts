import { backoffDelay, BackoffPolicy, retry } from "../../../controller/daemon/backoff";

const policy: BackoffPolicy = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.5 };

describe("backoffDelay", () => {
  it("grows exponentially and caps at maxMs without jitter", () => {
    const noJitter = (): number => 0;
    expect([0, 1, 2, 3, 4, 5, 100].map((a) => backoffDelay(a, policy, noJitter))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it("removes at most the jitter fraction", () => {
    const almostOne = (): number => 0.999999;
    expect(backoffDelay(0, policy, almostOne)).toBe(50);
    expect(backoffDelay(10, policy, () => 0.5)).toBe(750);
  });

  it("treats negative or fractional attempts as the nearest sane one and clamps jitter", () => {
    expect(backoffDelay(-3, policy, () => 0)).toBe(100);
    expect(backoffDelay(1.7, policy, () => 0)).toBe(200);
    expect(backoffDelay(0, { ...policy, jitter: 5 }, () => 0.5)).toBe(50);
  });
});

describe("retry", () => {
  it("retries until success, sleeping the scheduled delays", async () => {
    const slept: number[] = [];
    const retried: number[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls < 3) throw new Error(`fail ${calls}`);
        return "ok";
      },
      { attempts: 5, policy, random: () => 0, sleep: async (ms) => void slept.push(ms), onRetry: (_e, n) => retried.push(n) },
    );
    expect(result).toBe("ok");
    expect(slept).toEqual([100, 200]);
    expect(retried).toEqual([1, 2]);
  });

  it("throws the last error after the attempts are used", async () => {
    let calls = 0;
    await expect(
      retry(async () => { calls++; throw new Error(`fail ${calls}`); }, { attempts: 3, sleep: async () => undefined }),
    ).rejects.toThrow("fail 3");
    expect(calls).toBe(3);
  });

  it("does not retry errors that are not retryable", async () => {
    let calls = 0;
    await expect(
      retry(async () => { calls++; throw new TypeError("config"); }, { attempts: 5, sleep: async () => undefined, retryable: (e) => !(e instanceof TypeError) }),
    ).rejects.toThrow("config");
    expect(calls).toBe(1);
  });

  it("stops when aborted", async () => {
    const ac = new AbortController();
    let calls = 0;
    await expect(
      retry(async () => { calls++; ac.abort(); throw new Error("x"); }, { attempts: 5, sleep: async () => undefined, signal: ac.signal }),
    ).rejects.toThrow("x");
    expect(calls).toBe(1);
  });
});
