/**
 * The one-line progress a terminal shows while apply waits for convergence
 * (`converging 37/100 sites…`), rewritten in place; nothing at all when stderr is not a
 * terminal (a log file or CI gets the log lines only).
 */
export interface ProgressLine {
  update(done: number, total: number): void;
  /** Clears the line, so what follows starts on a clean one. */
  done(): void;
}

export function convergingText(done: number, total: number): string {
  return `converging ${done}/${total} site${total === 1 ? "" : "s"}…`;
}

export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  let shown = "";
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  return {
    update(done, total) {
      const text = convergingText(done, total);
      if (text === shown) return;
      shown = text;
      stream.write(`\r\x1b[K${text}`);
    },
    done() {
      if (shown !== "") stream.write("\r\x1b[K");
      shown = "";
    },
  };
}
