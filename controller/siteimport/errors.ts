/** An import refused before anything changed: bad input, unknown or unapplied site, wrong node. */
export class ImportError extends Error {}

/** The import job ran and failed; its message says the state it left (database and files). */
export class ImportFailedError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
