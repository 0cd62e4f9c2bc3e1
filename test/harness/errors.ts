/** A harness precondition failed (engine, images) or a test helper gave up; the message says what to do. */
export class HarnessError extends Error {
  override readonly name = "HarnessError";
}

/** `waitFor` ran out of time; `last` describes the last value or error seen. */
export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    readonly last: string,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last}`);
  }
}
