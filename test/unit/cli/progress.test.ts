import { prettyOptions } from "../../../controller/log";
import { convergingText, progressLine } from "../../../controller/cli/progress";

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
