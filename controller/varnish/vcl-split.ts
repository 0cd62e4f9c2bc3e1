import { createHash } from "node:crypto";
import { RECV_PROLOGUE, renderVcl, vclHash, VCL_SYNTH } from "./vcl";
import { validateVclInput } from "./vcl-input";
import type { VclInput, VclSite, VclTool } from "./vcl-input";

/**
 * The configuration split so a change to one site recompiles only a bounded part of it: the
 * sites are sharded into groups of about GROUP_SIZE, one VCL per group loaded under a label of
 * its own, and a small top-level VCL hands each Host to its group's label (`return (vcl(<label>))`).
 * The top-level VCL changes only when the set of domains or groups does; a task move recompiles
 * one group's VCL.
 *
 * Why groups and not one VCL per site: a Varnish with nothing loaded (a new or restarted task)
 * must compile every part before it routes, and a compile costs ~0.25 s however small the VCL
 * is; 1,000 site VCLs are minutes of 503s, 64 group VCLs a few seconds at 100 sites (8 groups).
 * A group of 16 sites still compiles in about the time of one site's VCL.
 *
 * A unit is renderVcl of its group's sites (and their tools), so every behaviour of a site's
 * routing (probes, purge scoping and ACL, snippets, cache settings, the 404/503 pages, fetch
 * retries) is the one renderVcl has, by construction.
 */
export interface SplitVcl {
  /** Sorted by label. */
  readonly units: readonly RoutingUnit[];
  /** Every routed host, its site and the label it is handed to, sorted by label then domain. */
  readonly routes: readonly HostRoute[];
}

export interface RoutingUnit {
  /** The Varnish label the top-level VCL names: `l_g<groups>_<n>`. */
  readonly label: string;
  /** The sites of the group, sorted (their tools go with them). */
  readonly sites: readonly string[];
  /** The group's part of the input: renderVcl(input) is `vcl`; load-split renders it without a site whose part does not compile. */
  readonly input: VclInput;
  readonly vcl: string;
}

export interface HostRoute {
  readonly domain: string;
  readonly site: string;
  readonly label: string;
}

/** About how many sites share one VCL. */
export const GROUP_SIZE = 16;

/**
 * How many groups for n sites: the smallest power of two giving groups of at most GROUP_SIZE on
 * average. A power of two, so that when it doubles (rarely: log2 of the sites) each group splits
 * in two by the next bit of the same hash instead of every site moving at random; between
 * doublings, adding or removing a site changes one group only.
 */
export function groupCount(sites: number): number {
  let g = 1;
  while (g * GROUP_SIZE < sites) g *= 2;
  return g;
}

/** The group of a site: a hash of its name, so it depends on nothing but the name and the group count. */
export function groupOf(site: string, groups: number): number {
  return createHash("sha256").update(site).digest().readUInt32BE(0) % groups;
}

export function groupLabel(group: number, groups: number): string {
  return `l_g${groups}_${group}`;
}

/** Throws VclInputError for anything that could not be rendered safely (the whole input is checked, cross-site domains included). */
export function renderSplitVcl(input: VclInput): SplitVcl {
  validateVclInput(input);
  const groups = groupCount(input.sites.length);
  const members = new Map<number, VclSite[]>();
  const tools = new Map<number, VclTool[]>();
  const routes: HostRoute[] = [];
  for (const site of input.sites) {
    const g = groupOf(site.name, groups);
    members.set(g, [...(members.get(g) ?? []), site]);
    for (const domain of new Set(site.domains)) routes.push({ domain, site: site.name, label: groupLabel(g, groups) });
  }
  for (const tool of input.tools ?? []) {
    const g = groupOf(tool.site, groups);
    tools.set(g, [...(tools.get(g) ?? []), tool]);
    routes.push({ domain: tool.domain, site: tool.site, label: groupLabel(g, groups) });
  }
  const units = [...new Set([...members.keys(), ...tools.keys()])].map((g): RoutingUnit => {
    const sites = [...(members.get(g) ?? [])].sort((a, b) => cmp(a.name, b.name));
    const groupTools = [...(tools.get(g) ?? [])].sort((a, b) => cmp(a.site, b.site));
    const part = groupInput(input, sites, groupTools);
    const names = [...new Set([...sites.map((s) => s.name), ...groupTools.map((t) => t.site)])].sort(cmp);
    return { label: groupLabel(g, groups), sites: names, input: part, vcl: renderVcl(part) };
  });
  units.sort((a, b) => cmp(a.label, b.label));
  routes.sort((a, b) => cmp(a.label, b.label) || cmp(a.domain, b.domain));
  return { units, routes };
}

/** A group's sites alone: its VCL never depends on another group, so another group's change leaves it as it is. */
function groupInput(input: VclInput, sites: readonly VclSite[], tools: readonly VclTool[]): VclInput {
  return {
    sites,
    mode: input.mode,
    ...(tools.length > 0 ? { tools } : {}),
    ...(input.snippets !== undefined ? { snippets: input.snippets } : {}),
    ...(input.tls !== undefined ? { tls: input.tls } : {}),
  };
}

/** The part of a group's input for some of its sites only (load-split: leaving out a site whose part does not compile). */
export function inputOf(input: VclInput, sites: ReadonlySet<string>): VclInput {
  const tools = (input.tools ?? []).filter((t) => sites.has(t.site));
  return groupInput(
    input,
    input.sites.filter((s) => sites.has(s.name)),
    tools,
  );
}

/**
 * The top-level VCL: normalises Host, hands it to its group's label, answers 404 for a host no
 * site has. `held` moves a site elsewhere: to another label (a site kept on its last good VCL
 * when its new part did not compile), or null: 503, its part never compiled on this Varnish
 * (naming a label that does not exist would not compile).
 */
export function renderTopVcl(routes: readonly HostRoute[], held: ReadonlyMap<string, string | null> = new Map()): string {
  const byTarget = new Map<string, string[]>();
  for (const r of routes) {
    const h = held.get(r.site);
    const target = h === undefined ? r.label : h === null ? "" : h;
    byTarget.set(target, [...(byTarget.get(target) ?? []), r.domain]);
  }
  const branches = [...byTarget].map(([label, domains]) => {
    const cond = domains.map((d) => `req.http.host == "${d}"`).join(" ||\n      ");
    const body = label === "" ? `    # The site's VCL did not compile on this Varnish.\n    return (synth(503));` : `    return (vcl(${label}));`;
    return `(${cond}) {\n${body}\n  }`;
  });
  const notFound = `    return (synth(404));`;
  const chain = branches.length === 0 ? `  # No site is configured.\n${notFound}` : `  if ${branches.join(" elsif ")} else {\n${notFound}\n  }`;
  return `vcl 4.1;
# Generated by simulium: which site's VCL (label) answers each host. Changes only with the domains.

import std;

backend default none;

sub vcl_recv {
${RECV_PROLOGUE}${chain}
}

${VCL_SYNTH}`;
}

/** Identity of a whole split configuration: what follow.ts compares and apply reports. */
export function splitHash(split: SplitVcl): string {
  const h = createHash("sha256");
  h.update(renderTopVcl(split.routes));
  for (const u of split.units) h.update(`\n${u.label} ${vclHash(u.vcl)}`);
  return h.digest("hex");
}

/** The label a site is held on (its last good group VCL) while its new part does not compile. */
export function heldLabel(site: string): string {
  return `l_h_${site.replace(/-/g, "_")}`;
}

/** Labels simulium gives: a Varnish label of any other name (an operator's) is never touched. */
export function isOurLabel(name: string): boolean {
  return /^[lt]_[a-z][a-z0-9_]*$/.test(name);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
