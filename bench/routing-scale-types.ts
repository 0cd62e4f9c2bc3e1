/** What one routing-at-scale child process reports (figure 6), seconds throughout. */
export interface RoutingScaleResult {
  readonly sites: number;
  /** The whole configuration in one VCL (before #20). */
  readonly whole: { readonly initialSeconds: number; readonly loadSeconds: number; readonly liveSeconds: number; readonly varnishRssMb: number | null };
  /** One VCL per site under a label and a top-level VCL. */
  readonly split: {
    readonly initialSeconds: number;
    readonly loadSeconds: number;
    readonly liveSeconds: number;
    /** A site added: its VCL and the top-level one compiled. */
    readonly addSiteSeconds: number;
    /** Site VCLs compiled for the task move (1 expected). */
    readonly compiledOnMove: number;
    /** varnishd's resident memory (manager + child) with every site's VCL loaded. */
    readonly varnishRssMb: number | null;
  };
}
