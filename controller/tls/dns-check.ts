import { lookup } from "node:dns/promises";

/** Looks a name up: every address it resolves to (A and AAAA). Throws when it does not resolve. */
export type Resolve = (domain: string) => Promise<readonly string[]>;

export const systemResolve: Resolve = async (domain) => (await lookup(domain, { all: true })).map((a) => a.address);

/**
 * The names that would fail HTTP-01 for a reason visible from here, with why: they do not
 * resolve, or resolve to none of `expect` (the cluster's public addresses, when given). An
 * order is spent only on the others: a CA counts every failed validation against its limits.
 */
export async function unresolvedNames(domains: readonly string[], expect: readonly string[], resolve: Resolve): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const wanted = new Set(expect.map((a) => a.toLowerCase()));
  for (const domain of domains) {
    let addresses: readonly string[];
    try {
      addresses = await resolve(domain);
    } catch (err) {
      out.set(domain, `does not resolve from the controller (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); point its DNS at the cluster`);
      continue;
    }
    if (wanted.size > 0 && !addresses.some((a) => wanted.has(a.toLowerCase()))) {
      out.set(domain, `resolves to ${addresses.join(", ")}, none of spec.tls.acme.expectAddresses`);
    }
  }
  return out;
}
