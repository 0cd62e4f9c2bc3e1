import type { VclInput, VclSite } from "../../../controller/varnish/vcl";

export const healthcheck = { path: "/user/login", interval: 10, timeout: 5 } as const;

export function site(name: string, overrides: Partial<VclSite> = {}): VclSite {
  return {
    name,
    domains: [`${name}.example.org`],
    backends: [{ host: "10.0.1.5", port: 80 }],
    healthcheck,
    ...overrides,
  };
}

export function input(sites: VclSite[], overrides: Partial<VclInput> = {}): VclInput {
  return { sites, mode: "dnsrr", ...overrides };
}

/** The body of one VCL subroutine, for asserting what is inside it. */
export function sub(vcl: string, name: string): string {
  const start = vcl.indexOf(`sub ${name} {`);
  if (start < 0) throw new Error(`no sub ${name}`);
  const end = vcl.indexOf("\n}\n", start);
  return vcl.slice(start, end + 2);
}
