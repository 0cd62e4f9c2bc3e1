import { isIPv4 } from "node:net";
import { LABEL } from "../desired/labels";
import { names } from "../desired/names";
import { backendFromLabels, routingFromLabels } from "../desired/routing-labels";
import { everyTask } from "../live/tasks";
import type { LiveState, LiveTask } from "../live/types";
import type { ResolvedCluster, ResolvedSite, RoutingOverrides } from "../manifests/types";
import type { VclSiteTls } from "../varnish/vcl-tls";
import type { VclBackend, VclInput, VclRouting, VclSite, VclSnippets, VclTool } from "../varnish/vcl-input";
import { PHPMYADMIN_PORT } from "../access/ports";

export interface RoutingSources {
  readonly cluster: ResolvedCluster;
  /** Sites with a valid manifest (suspended ones included: their tasks keep running). */
  readonly sites: readonly ResolvedSite[];
  /** Sites whose manifest is invalid: they keep the domains their web service was last applied with. */
  readonly invalidSites?: readonly string[];
  readonly live: LiveState;
  /** The ACME account's thumbprint (state/acme-account.ts), when one exists. */
  readonly acmeThumbprint?: string;
}

/**
 * Manifests + live tasks → what the VCL is rendered from. Pure. Backends are the running
 * tasks' addresses on the edge network (dnsrr) or the service name (vip), so the VCL follows
 * the tasks, not the manifest: a site whose tasks are all gone gets Varnish's 503.
 */
export function vclInputFrom(src: RoutingSources): VclInput {
  const { cluster, live } = src;
  const edge = names.edgeNetwork(cluster.instance);
  const mode = cluster.endpointMode;
  const sites: VclSite[] = src.sites.map((s) => ({
    name: s.name,
    domains: [...s.domains],
    backends: backendsOf(names.service(s.name, "web"), s.web.port, mode, edge, live),
    purgers: addressesOf(names.service(s.name, "web"), edge, live),
    healthcheck: { ...s.web.healthcheck },
    ...(s.routing !== undefined ? { routing: vclRoutingOf(s.routing) } : {}),
    ...(s.tls !== undefined && cluster.tls !== undefined ? { tls: siteTls(s, live, cluster.instance) } : {}),
  }));
  // Valid manifests' hosts first, phpMyAdmin's included: an invalid site never takes one.
  const claimed = new Set([...sites.flatMap((s) => s.domains), ...src.sites.flatMap((s) => (s.access?.phpmyadmin ? [s.access.phpmyadmin.domain] : []))]);
  const declared = new Set(sites.map((s) => s.name));
  for (const name of [...(src.invalidSites ?? [])].sort()) {
    if (declared.has(name)) continue;
    // Without a valid manifest only what the live service says is known; a domain a valid
    // site now declares is that site's.
    const domains = lastDomains(name, live).filter((d) => !claimed.has(d));
    if (domains.length === 0) continue;
    domains.forEach((d) => claimed.add(d));
    // Routed as last applied: the same port and probe (a default would turn a site on another
    // port or probed elsewhere sick), and a site that must not be cached stays uncached.
    const routing = routingFromLabels(webLabels(name, live));
    const backend = backendFromLabels(webLabels(name, live));
    sites.push({
      name,
      domains,
      backends: backendsOf(names.service(name, "web"), backend.port, mode, edge, live),
      purgers: addressesOf(names.service(name, "web"), edge, live),
      healthcheck: { ...backend.healthcheck },
      ...(routing !== undefined ? { routing: vclRoutingOf(routing) } : {}),
    });
  }
  const tools = toolsOf(src, claimed);
  const tls = cluster.tls === undefined ? {} : { tls: { httpsPort: cluster.tls.publicPort, ...(src.acmeThumbprint !== undefined ? { acmeThumbprint: src.acmeThumbprint } : {}) } };
  return { sites, mode, snippets: snippetsOf(cluster), ...(tools.length > 0 ? { tools } : {}), ...tls };
}

/**
 * Redirects to https only once the terminator runs and the site has a certificate (its secret,
 * which the controller delivers to the terminator's tasks, tls/deliver.ts): before, https
 * would not answer.
 */
function siteTls(s: ResolvedSite, live: LiveState, instance: string): VclSiteTls {
  const tls = s.tls ?? { mode: "acme", redirect: false };
  const terminator = live.services.some((x) => x.name === names.tlsService(instance));
  const served = terminator && live.secrets.some((x) => x.name.startsWith(names.tlsCertSecret(s.name, "")));
  return { acme: tls.mode === "acme", redirect: tls.redirect && served, ...(tls.hsts !== undefined ? { hsts: { ...tls.hsts } } : {}) };
}

/**
 * phpMyAdmin of each site, from the manifest, or, for an invalid manifest, from the domain
 * its running service was applied with (unless another site claims that host already).
 */
function toolsOf(src: RoutingSources, claimed: Set<string>): VclTool[] {
  const { cluster, live } = src;
  const tools = names.toolsNetwork(cluster.instance);
  const tool = (site: string, domain: string): VclTool => ({
    site,
    tool: "phpmyadmin",
    domain,
    backends: backendsOf(names.service(site, "phpmyadmin"), PHPMYADMIN_PORT, cluster.endpointMode, tools, live),
  });
  const out = src.sites.flatMap((s) => (s.access?.phpmyadmin ? [tool(s.name, s.access.phpmyadmin.domain)] : []));
  const declared = new Set(src.sites.map((s) => s.name));
  for (const name of [...(src.invalidSites ?? [])].sort()) {
    if (declared.has(name)) continue;
    const service = live.services.find((s) => s.name === names.service(name, "phpmyadmin"));
    const domain = service?.labels[LABEL.domains];
    if (domain === undefined || domain === "" || claimed.has(domain)) continue;
    claimed.add(domain);
    out.push(tool(name, domain));
  }
  return out;
}

/** Tasks that run now and are meant to keep running (a task being stopped is on its way out). */
export function runningTasksOf(service: string, live: LiveState): LiveTask[] {
  const svc = live.services.find((s) => s.name === service);
  if (!svc) return [];
  return everyTask(live).filter((t) => t.serviceId === svc.id && t.state === "running" && t.desiredState === "running");
}

function backendsOf(service: string, port: number, mode: VclInput["mode"], network: string, live: LiveState): VclBackend[] {
  if (mode === "vip") return runningTasksOf(service, live).length > 0 ? [{ host: service, port }] : [];
  return addressesOf(service, network, live).map((host) => ({ host, port }));
}

/** The running tasks' IPv4 addresses on a network (edge: sites; tools: phpMyAdmin), in numeric order. */
function addressesOf(service: string, network: string, live: LiveState): string[] {
  const hosts = new Set(runningTasksOf(service, live).map((t) => t.addresses[network]).filter((a): a is string => a !== undefined && isIPv4(a)));
  return [...hosts].sort(compareIPv4);
}

function webLabels(site: string, live: LiveState): Readonly<Record<string, string>> {
  return live.services.find((s) => s.name === names.service(site, "web"))?.labels ?? {};
}

function lastDomains(site: string, live: LiveState): string[] {
  const label = webLabels(site, live)[LABEL.domains] ?? "";
  return label.split(",").filter((d) => d !== "");
}

function vclRoutingOf(r: RoutingOverrides): VclRouting {
  return { ...r, ...(r.passPaths !== undefined ? { passPaths: [...r.passPaths] } : {}) };
}

function snippetsOf(cluster: ResolvedCluster): VclSnippets {
  const { recv, backendResponse, deliver } = cluster.varnish.vcl;
  return {
    ...(recv !== undefined ? { recv } : {}),
    ...(backendResponse !== undefined ? { backendResponse } : {}),
    ...(deliver !== undefined ? { deliver } : {}),
  };
}

function compareIPv4(a: string, b: string): number {
  const n = (ip: string) => ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) - n(b);
}
