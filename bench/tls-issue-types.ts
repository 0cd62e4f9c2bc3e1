/** Figure 9: a domain added to a site, from its commit to a valid certificate served for it. */
export interface TlsIssueSample {
  readonly domain: string;
  /** Names in the site's certificate once this domain is in it. */
  readonly names: number;
  readonly ok: boolean;
  /** Commit + push + webhook to the first handshake through hitch that verifies for the domain. */
  readonly seconds: number;
  readonly probes: number;
  /**
   * Seconds from the commit to the daemon's first log line of each step after it: the VCL with
   * the new name (and its challenge answers) loaded, the order sent, the certificate issued,
   * the delivery job seen done (hitch may serve the new certificate before the controller's
   * poll sees the job end). Absent when the daemon logged no such step.
   */
  readonly phases?: Partial<Record<TlsPhase, number>>;
  readonly error?: string;
}

export const TLS_PHASES = { vcl: "routing: VCL loaded", ordering: "tls: ordering a certificate", issued: "tls: certificate issued", delivered: "certificates delivered to the TLS terminator" } as const;
export type TlsPhase = keyof typeof TLS_PHASES;

export interface TlsIssueResult {
  readonly samples: readonly TlsIssueSample[];
  /** Over the samples that succeeded; null when none did. */
  readonly medianSeconds: number | null;
  readonly minSeconds: number | null;
  readonly maxSeconds: number | null;
  /** os.loadavg() at the start and at the end of the figure: the engine is shared. */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
}

/** The median, minimum and maximum of the successful samples' seconds. Pure. */
export function tlsIssueStats(samples: readonly TlsIssueSample[]): Pick<TlsIssueResult, "medianSeconds" | "minSeconds" | "maxSeconds"> {
  const s = samples.filter((x) => x.ok).map((x) => x.seconds).sort((a, b) => a - b);
  if (s.length === 0) return { medianSeconds: null, minSeconds: null, maxSeconds: null };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { medianSeconds: median, minSeconds: s[0]!, maxSeconds: s[s.length - 1]! };
}
