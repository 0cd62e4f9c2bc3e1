/** Where a Varnish admin endpoint lives, for messages: `host:port`. */
export type Endpoint = string;

export type ConnectionProblem = "refused" | "unreachable" | "closed" | "timeout" | "protocol";

/** Varnish's admin port could not be used: nothing is known about what it did with the last command. */
export class VarnishConnectionError extends Error {
  readonly kind = "varnish-connection" as const;
  constructor(
    readonly endpoint: Endpoint,
    readonly problem: ConnectionProblem,
    detail: string,
  ) {
    super(`Varnish admin ${endpoint}: ${problem}: ${detail}`);
    this.name = "VarnishConnectionError";
  }
}

/** The admin secret was refused (or missing). The message never contains the secret. */
export class VarnishAuthError extends Error {
  readonly kind = "varnish-auth" as const;
  constructor(
    readonly endpoint: Endpoint,
    reason: "rejected" | "missing",
  ) {
    super(
      reason === "rejected"
        ? `Varnish admin ${endpoint} rejected the secret: use the same secret file as varnishd -S (content byte for byte, trailing newline included)`
        : `Varnish admin ${endpoint} requires authentication but no secret was given (varnishd runs with -S)`,
    );
    this.name = "VarnishAuthError";
  }
}

/** Varnish answered a command with a non-200 status; `detail` is its own message. */
export class VarnishCommandError extends Error {
  readonly kind: "varnish-command" | "vcl-compile" = "varnish-command";
  constructor(
    /** The command verb only (`vcl.use`): arguments can be large (VCL) and are not repeated. */
    readonly command: string,
    /** CLI status: 101 unknown command, 104/105 argument count, 106 bad parameter, 300 cannot. */
    readonly status: number,
    readonly detail: string,
  ) {
    super(`Varnish ${command} failed (${status}): ${detail}`);
    this.name = "VarnishCommandError";
  }
}

/**
 * A VCL did not compile. The configuration that was running stays active; `detail` holds the
 * VCC message and `line`/`column` the first position it points at in the submitted VCL.
 */
export class VclCompileError extends VarnishCommandError {
  override readonly kind = "vcl-compile" as const;
  readonly line: number | undefined;
  readonly column: number | undefined;
  constructor(status: number, detail: string) {
    super("vcl.inline", status, detail);
    this.name = "VclCompileError";
    const at = /Line (\d+) Pos (\d+)/.exec(detail);
    this.line = at?.[1] === undefined ? undefined : Number(at[1]);
    this.column = at?.[2] === undefined ? undefined : Number(at[2]);
    this.message = `VCL does not compile${this.line === undefined ? "" : ` (line ${this.line}, column ${this.column})`}; the running VCL stays active:\n${detail}`;
  }
}
