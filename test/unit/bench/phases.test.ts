import { passPhases } from "../../../bench/contenders";

describe("bench: where a pass's time went (passPhases)", () => {
  const timeline = [
    { request: "GET /services", startMs: 1000, endMs: 1100 },
    { request: "POST /networks/create", startMs: 1500, endMs: 1700 },
    { request: "POST /services/create", startMs: 1600, endMs: 2000 },
    { request: "GET /tasks", startMs: 1800, endMs: 1850 },
    { request: "GET /tasks", startMs: 4000, endMs: 4100 },
  ];

  it("cuts the pass at its first write sent and its last write answered", () => {
    expect(passPhases(timeline, 0, 5000)).toEqual({ beforeFirstWriteSeconds: 1.5, writingSeconds: 0.5, afterLastWriteSeconds: 3, meanWriteMs: 300, readsWhileWriting: 1 });
  });

  it("counts a write never answered (the pass cut short) as ending when it was sent", () => {
    const cut = [...timeline.slice(0, 2), { request: "POST /services/create", startMs: 2500, endMs: Number.NaN }];
    expect(passPhases(cut, 0, 3000)).toMatchObject({ writingSeconds: 1, afterLastWriteSeconds: 0.5, meanWriteMs: 200 });
  });

  it("has nothing to say of a pass without writes (a no-op)", () => {
    expect(passPhases(timeline.filter((t) => t.request.startsWith("GET")), 0, 5000)).toBeUndefined();
  });
});
