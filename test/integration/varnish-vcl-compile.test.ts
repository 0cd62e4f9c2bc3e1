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
  "no site at all": { sites: [], mode: "dnsrr" },
  "one site, dnsrr": { sites: [site("acme", { purgers: ["10.0.1.5", "10.0.1.6"] })], mode: "dnsrr" },
  "sites each with their own purgers, one with none": {
    sites: [site("a", { purgers: ["10.0.1.5"] }), site("a-b", { purgers: ["10.0.1.6", "10.0.1.7"] }), site("c")],
    mode: "dnsrr",
  },
  "a site with zero backends": { sites: [site("idle", { backends: [] })], mode: "dnsrr" },
  "only sites with zero backends and no ACL": { sites: [site("a", { backends: [] }), site("b", { backends: [] })], mode: "dnsrr" },
  "a site without domains": { sites: [site("hidden", { domains: [] }), site("acme")], mode: "dnsrr" },
  "vip mode (service name that resolves here)": {
    sites: [site("acme", { backends: [{ host: "localhost", port: 8080 }], purgers: ["10.0.1.5"] }), site("idle", { backends: [] })],
    mode: "vip",
  },
  "every override, every snippet, many sites": {
    sites: [
      site("shop-one", { routing: { passPaths: ["/cart", "/a.b/c/"], ttl: 300, staticTtl: 600, grace: 0, firstByteTimeout: 900 } }),
      site("live", { routing: { cache: false }, purgers: ["10.0.1.5", "10.0.2.1"] }),
      site("idle", { backends: [], routing: { cache: false, passPaths: ["/x"] } }),
      site("plain", { healthcheck: { path: "/health?full=1&x=%2F", interval: 1, timeout: 1 } }),
      ...Array.from({ length: 30 }, (_, i) => site(`bulk-${i}`, { backends: [{ host: `10.0.2.${i + 1}`, port: 80 }] })),
    ],
    mode: "dnsrr",
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
