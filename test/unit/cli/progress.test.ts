import { prettyOptions } from "../../../controller/log";
import { convergingText, progressLine } from "../../../controller/cli/progress";
import { convergingCount, Watched } from "../../../controller/apply/wait-converged";

function fakeStream(tty: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY: tty, write: (s: string) => written.push(s) > 0 } as Pick<NodeJS.WriteStream, "isTTY" | "write">;
  return { stream: stream as NodeJS.WriteStream, written };
}

describe("CLI output for people", () => {
  it("says how many sites converged, of how many", () => {
    expect(convergingText(37, 100)).toBe("converging 37/100 sites…");
    expect(convergingText(0, 1)).toBe("converging 0/1 site…");
  });

  it("rewrites one line in place on a terminal, only when it changes, and clears it at the end", () => {
    const { stream, written } = fakeStream(true);
    const p = progressLine(stream);
    p.update(0, 3);
    p.update(0, 3);
    p.update(2, 3);
    p.done();
    expect(written).toEqual(["\r\x1b[Kconverging 0/3 sites…", "\r\x1b[Kconverging 2/3 sites…", "\r\x1b[K"]);
  });

  it("writes nothing when stderr is not a terminal", () => {
    const { stream, written } = fakeStream(false);
    const p = progressLine(stream);
    p.update(1, 2);
    p.done();
    expect(written).toEqual([]);
  });

  it("logs one line per event, coloured only on a terminal without NO_COLOR", () => {
    expect(prettyOptions({}, true)).toMatchObject({ colorize: true, singleLine: true });
    expect(prettyOptions({ NO_COLOR: "1" }, true).colorize).toBe(false);
    expect(prettyOptions({}, false).colorize).toBe(false);
    // An empty NO_COLOR does not count (no-color.org).
    expect(prettyOptions({ NO_COLOR: "" }, true).colorize).toBe(true);
  });
});

describe("convergence progress counts sites", () => {
  // Only the fields the count reads; a Watched's spec is irrelevant to it.
  const w = (site: string | null, name: string): Watched => ({ site, spec: { name } as Watched["spec"] });

  it("a site is done when none of its changed services is pending; the shared objects count as one", () => {
    const watch = [w("a", "a_web"), w("a", "a_db"), w("b", "b_web"), w(null, "i_varnish")];
    expect(convergingCount(watch, watch)).toEqual({ done: 0, total: 3 });
    expect(convergingCount(watch, [w("a", "a_db"), w(null, "i_varnish")])).toEqual({ done: 1, total: 3 });
    expect(convergingCount(watch, [])).toEqual({ done: 3, total: 3 });
  });
});
