import { renderVcl } from "../../controller/varnish/vcl";
import { vclCompiler } from "../support/vcl-compiler";
import type { VclInput, VclSite, VclTool } from "../../controller/varnish/vcl";

// Every shape of phpMyAdmin routing goes through Varnish's own compiler (varnishd -C): an
// unused backend or director, or a name declared twice, fails there and nowhere else.

const site = (name: string, backends = [{ host: "10.0.1.5", port: 80 }]): VclSite => ({
  name,
  domains: [`${name}.example.org`],
  backends,
  purgers: backends.map((b) => b.host).filter((h) => /^[0-9.]+$/.test(h)),
  healthcheck: { path: "/user/login", interval: 10, timeout: 5 },
});
const pma = (name: string, backends = [{ host: "10.0.1.9", port: 80 }]): VclTool => ({ site: name, tool: "phpmyadmin", domain: `db.${name}.example.org`, backends });

const variants: Record<string, VclInput> = {
  "a site and its phpMyAdmin": { sites: [site("acme")], tools: [pma("acme")], mode: "dnsrr" },
  "a phpMyAdmin without running tasks": { sites: [site("acme")], tools: [pma("acme", [])], mode: "dnsrr" },
  "only phpMyAdmin routes (the sites have no tasks)": { sites: [site("a", []), site("b", [])], tools: [pma("a"), pma("b")], mode: "dnsrr" },
  "vip mode": { sites: [site("acme", [{ host: "localhost", port: 8080 }])], tools: [pma("acme", [{ host: "localhost", port: 8081 }])], mode: "vip" },
  "look-alike site names": {
    sites: [site("a"), site("a-b0"), site("a-0")],
    tools: [pma("a", [{ host: "10.0.1.9", port: 80 }, { host: "10.0.1.10", port: 80 }]), pma("a-b0"), pma("a-0")],
    mode: "dnsrr",
  },
};

const compile = vclCompiler("simulium-vclc-access-");

describe("VCL with phpMyAdmin routes compiles with varnishd -C", () => {
  it.each(Object.entries(variants))("%s", async (label, input) => {
    expect(await compile(label.replace(/\W+/g, "-"), renderVcl(input))).toEqual({ ok: true, stderr: "" });
  });
});
