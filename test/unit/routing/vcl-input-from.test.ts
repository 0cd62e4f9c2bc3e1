import { LABEL } from "../../../controller/desired/labels";
import { vclInputFrom } from "../../../controller/routing/vcl-input-from";
import { renderVcl } from "../../../controller/varnish/vcl";
import { bareSite, cluster } from "../../fixtures/core/builders";
import { live } from "./live-builder";

const acme = bareSite("acme", { domains: ["acme.org", "www.acme.org"], web: { port: 8080, healthcheck: { path: "/health", interval: 7, timeout: 3 } } });
const beta = bareSite("beta", { domains: ["beta.org"] });

describe("routing: VCL input from manifests and live tasks", () => {
  it("takes each site's domains and healthcheck, and its running tasks' edge addresses as backends (dnsrr)", () => {
    const state = live(
      [{ name: "acme_web" }, { name: "beta_web" }],
      [
        { service: "acme_web", ip: "10.0.9.12" },
        { service: "acme_web", ip: "10.0.9.3" },
        { service: "beta_web", ip: "10.0.9.7" },
      ],
    );
    const input = vclInputFrom({ cluster: cluster(), sites: [acme, beta], live: state });
    expect(input.mode).toBe("dnsrr");
    expect(input.sites).toEqual([
      { name: "acme", domains: ["acme.org", "www.acme.org"], backends: [{ host: "10.0.9.3", port: 8080 }, { host: "10.0.9.12", port: 8080 }], purgers: ["10.0.9.3", "10.0.9.12"], healthcheck: { path: "/health", interval: 7, timeout: 3 } },
      { name: "beta", domains: ["beta.org"], backends: [{ host: "10.0.9.7", port: 80 }], purgers: ["10.0.9.7"], healthcheck: beta.web.healthcheck },
    ]);
    expect(() => renderVcl(input)).not.toThrow();
  });

  it("leaves out tasks that are not running or are being stopped, and tasks of other services", () => {
    const state = live(
      [{ name: "acme_web" }, { name: "acme_db" }],
      [
        { service: "acme_web", ip: "10.0.9.2", state: "starting" },
        { service: "acme_web", ip: "10.0.9.4", desiredState: "shutdown" },
        { service: "acme_web", ip: "10.0.9.5" },
        { service: "acme_db", ip: "10.0.9.6" },
      ],
    );
    expect(vclInputFrom({ cluster: cluster(), sites: [acme], live: state }).sites[0]?.backends).toEqual([{ host: "10.0.9.5", port: 8080 }]);
  });

  it("gives a site without running tasks no backends (Varnish answers 503)", () => {
    expect(vclInputFrom({ cluster: cluster(), sites: [acme], live: live([], []) }).sites[0]?.backends).toEqual([]);
  });

  it("names the service once per site in vip mode, only while it has running tasks", () => {
    const state = live([{ name: "acme_web" }, { name: "beta_web" }], [{ service: "acme_web", ip: "10.0.9.2" }, { service: "acme_web", ip: "10.0.9.3" }]);
    const input = vclInputFrom({ cluster: cluster({ endpointMode: "vip" }), sites: [acme, beta], live: state });
    expect(input.mode).toBe("vip");
    expect(input.sites.map((s) => s.backends)).toEqual([[{ host: "acme_web", port: 8080 }], []]);
  });

  it("lets each site purge only from its own running tasks' edge addresses, in both endpoint modes", () => {
    const state = live(
      [{ name: "acme_web" }, { name: "beta_web" }, { name: "gone_web", labels: { [LABEL.domains]: "gone.org" } }],
      [
        { service: "acme_web", ip: "10.0.9.12" },
        { service: "acme_web", ip: "10.0.9.3" },
        { service: "acme_web", ip: "10.0.9.4", desiredState: "shutdown" },
        { service: "beta_web", ip: "10.0.9.7" },
        { service: "gone_web", ip: "10.0.9.20" },
      ],
    );
    for (const endpointMode of ["dnsrr", "vip"] as const) {
      const input = vclInputFrom({ cluster: cluster({ endpointMode }), sites: [acme, beta], invalidSites: ["gone"], live: state });
      expect(input.sites.map((s) => [s.name, s.purgers])).toEqual([
        ["acme", ["10.0.9.3", "10.0.9.12"]],
        ["beta", ["10.0.9.7"]],
        ["gone", ["10.0.9.20"]],
      ]);
    }
    expect(vclInputFrom({ cluster: cluster(), sites: [acme], live: live([], []) }).sites[0]?.purgers).toEqual([]);
  });

  it("passes the operator's snippets through, omitting unset ones", () => {
    const c = cluster({ varnish: { port: 80, replicas: 1, mode: "replicated", constraints: [], cacheSize: "1G", optimiseVcl: false, vcl: { deliver: 'set resp.http.X-A = "1";' } } });
    expect(vclInputFrom({ cluster: c, sites: [], live: live([], []) }).snippets).toEqual({ deliver: 'set resp.http.X-A = "1";' });
  });

  it("keeps routing a site whose manifest is invalid, with the domains its web service was last applied with", () => {
    const state = live([{ name: "gone_web", labels: { [LABEL.domains]: "gone.org,old.acme.org" } }], [{ service: "gone_web", ip: "10.0.9.20" }]);
    const input = vclInputFrom({ cluster: cluster(), sites: [acme], invalidSites: ["gone"], live: state });
    expect(input.sites[1]).toMatchObject({ name: "gone", domains: ["gone.org", "old.acme.org"], backends: [{ host: "10.0.9.20", port: 80 }] });
  });

  it("gives a domain a valid site now declares to that site, not to the invalid one", () => {
    const state = live([{ name: "gone_web", labels: { [LABEL.domains]: "gone.org,www.acme.org" } }], []);
    const input = vclInputFrom({ cluster: cluster(), sites: [acme], invalidSites: ["gone"], live: state });
    expect(input.sites.map((s) => [s.name, s.domains])).toEqual([
      ["acme", ["acme.org", "www.acme.org"]],
      ["gone", ["gone.org"]],
    ]);
    expect(() => renderVcl(input)).not.toThrow();
  });

  it("drops an invalid site whose domains are all taken or unknown", () => {
    const state = live([{ name: "gone_web", labels: { [LABEL.domains]: "acme.org" } }], []);
    expect(vclInputFrom({ cluster: cluster(), sites: [acme], invalidSites: ["gone", "never"], live: state }).sites.map((s) => s.name)).toEqual(["acme"]);
  });
});
