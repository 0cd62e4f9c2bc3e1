import { renderVcl } from "../../controller/varnish/vcl";
import { vclCompiler } from "../support/vcl-compiler";
import type { VclInput, VclSite } from "../../controller/varnish/vcl";

// Every shape the renderer produces goes through Varnish's own compiler (varnishd -C), which
// catches what string assertions cannot: unused backends, bad syntax, wrong VCL types.

const hc = { path: "/user/login", interval: 10, timeout: 5 };
const site = (name: string, over: Partial<VclSite> = {}): VclSite => ({
  name,
  domains: [`${name}.example.org`, `www.${name}.example.org`],
  backends: [
    { host: "10.0.1.5", port: 80 },
    { host: "10.0.1.6", port: 80 },
  ],
  healthcheck: hc,
  ...over,
});

const variants: Record<string, VclInput> = {
  "no site at all": { sites: [], mode: "dnsrr", purgeAcl: [] },
  "one site, dnsrr": { sites: [site("acme")], mode: "dnsrr", purgeAcl: ["10.0.1.0/24"] },
  "a site with zero backends": { sites: [site("idle", { backends: [] })], mode: "dnsrr", purgeAcl: ["10.0.1.0/24"] },
  "only sites with zero backends and no ACL": { sites: [site("a", { backends: [] }), site("b", { backends: [] })], mode: "dnsrr", purgeAcl: [] },
  "a site without domains": { sites: [site("hidden", { domains: [] }), site("acme")], mode: "dnsrr", purgeAcl: [] },
  "vip mode (service name that resolves here)": {
    sites: [site("acme", { backends: [{ host: "localhost", port: 8080 }] }), site("idle", { backends: [] })],
    mode: "vip",
    purgeAcl: ["10.0.0.0/8"],
  },
  "every override, every snippet, many sites": {
    sites: [
      site("shop-one", { routing: { passPaths: ["/cart", "/a.b/c/"], ttl: 300, staticTtl: 600, grace: 0, firstByteTimeout: 900 } }),
      site("live", { routing: { cache: false } }),
      site("idle", { backends: [], routing: { cache: false, passPaths: ["/x"] } }),
      site("plain", { healthcheck: { path: "/health?full=1&x=%2F", interval: 1, timeout: 1 } }),
      ...Array.from({ length: 30 }, (_, i) => site(`bulk-${i}`, { backends: [{ host: `10.0.2.${i + 1}`, port: 80 }] })),
    ],
    mode: "dnsrr",
    purgeAcl: ["10.0.1.0/24", "10.0.2.0/24", "127.0.0.1"],
    snippets: {
      recv: 'if (req.url ~ "^/healthz$") {\n  return (synth(200, "OK"));\n}',
      backendResponse: 'if (bereq.url ~ "^/feed") {\n  set beresp.ttl = 60s;\n}',
      deliver: 'set resp.http.X-Frame-Options = "SAMEORIGIN";\n# a comment with a brace }',
    },
  },
};

const compile = vclCompiler("simulium-vclc-");

describe("rendered VCL compiles with varnishd -C", () => {
  it.each(Object.entries(variants))("%s", async (label, input) => {
    const result = await compile(label.replace(/\W+/g, "-"), renderVcl(input));
    expect(result).toEqual({ ok: true, stderr: "" });
  });

  it("the check fails for a VCL that does not compile (the harness can see failure)", async () => {
    const broken = renderVcl(variants["one site, dnsrr"] as VclInput).replace("return (pass);", "return (bogus);");
    const result = await compile("broken", broken);
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(/Line \d+/);
  });
});
