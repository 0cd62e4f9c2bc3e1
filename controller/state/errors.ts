/** A command that must not change anything tried to write into the state directory. */
export class ReadOnlyStateError extends Error {
  constructor(readonly file: string) {
    super(`internal: ${file} would be written by a read-only command; nothing was written`);
    this.name = "ReadOnlyStateError";
  }
}

/**
 * The swarm uses a value the state directory should hold, and the state directory does not
 * hold it (lost, empty, or another directory): going on would generate a new value and
 * replace the live one (for the restic password: every existing backup unreadable).
 */
export class StateMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateMissingError";
  }
}
