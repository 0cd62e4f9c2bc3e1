import { LABEL } from "../../../controller/desired/labels";
import { vclInputFrom } from "../../../controller/routing/vcl-input-from";
import { renderVcl } from "../../../controller/varnish/vcl";
import { bareSite, cluster } from "../../fixtures/core/builders";
import { live } from "./live-builder";

const pma = { image: "simulium/phpmyadmin:1", domain: "db.acme.org", user: "admin" };
const acme = bareSite("acme", { domains: ["acme.org"], access: { phpmyadmin: pma } });

describe("routing: phpMyAdmin backends", () => {
  it("routes a site's phpMyAdmin domain to its running phpMyAdmin tasks, apart from the web tasks", () => {
    const state = live(
      [{ name: "acme_web" }, { name: "acme_phpmyadmin" }],
      [
        { service: "acme_web", ip: "10.0.9.2" },
        { service: "acme_phpmyadmin", ip: "10.0.9.8" },
        { service: "acme_phpmyadmin", ip: "10.0.9.9", desiredState: "shutdown" },
      ],
    );
    const input = vclInputFrom({ cluster: cluster(), sites: [acme], live: state });
    expect(input.sites.map((s) => [s.name, s.domains, s.backends])).toEqual([["acme", ["acme.org"], [{ host: "10.0.9.2", port: 80 }]]]);
    expect(input.tools).toEqual([{ site: "acme", tool: "phpmyadmin", domain: "db.acme.org", backends: [{ host: "10.0.9.8", port: 80 }] }]);
    expect(() => renderVcl(input)).not.toThrow();
  });

  it("names the service in vip mode, and gives no tools without phpMyAdmin", () => {
    const state = live([{ name: "acme_phpmyadmin" }], [{ service: "acme_phpmyadmin", ip: "10.0.9.8" }]);
    expect(vclInputFrom({ cluster: cluster({ endpointMode: "vip" }), sites: [acme], live: state }).tools?.[0]?.backends).toEqual([{ host: "acme_phpmyadmin", port: 80 }]);
    expect(vclInputFrom({ cluster: cluster(), sites: [bareSite("beta")], live: state }).tools).toBeUndefined();
  });

  it("keeps routing an invalid site's phpMyAdmin by the domain its service was applied with", () => {
    const state = live(
      [{ name: "acme_web", labels: { [LABEL.domains]: "acme.org" } }, { name: "acme_phpmyadmin", labels: { [LABEL.domains]: "db.acme.org" } }],
      [{ service: "acme_phpmyadmin", ip: "10.0.9.8" }],
    );
    const input = vclInputFrom({ cluster: cluster(), sites: [], invalidSites: ["acme"], live: state });
    expect(input.tools).toEqual([{ site: "acme", tool: "phpmyadmin", domain: "db.acme.org", backends: [{ host: "10.0.9.8", port: 80 }] }]);
  });

  it("gives a host a valid site now claims to that site, not to an invalid site's last phpMyAdmin", () => {
    const beta = bareSite("beta", { domains: ["db.acme.org"] });
    const state = live([{ name: "acme_phpmyadmin", labels: { [LABEL.domains]: "db.acme.org" } }], [{ service: "acme_phpmyadmin", ip: "10.0.9.8" }]);
    const input = vclInputFrom({ cluster: cluster(), sites: [beta], invalidSites: ["acme"], live: state });
    expect(input.tools).toBeUndefined();
    expect(input.sites.map((s) => s.name)).toEqual(["beta"]);
  });

  it("gives a valid site's phpMyAdmin domain precedence over an invalid site's last web domains", () => {
    const state = live([{ name: "old_web", labels: { [LABEL.domains]: "db.acme.org,old.org" } }], []);
    const input = vclInputFrom({ cluster: cluster(), sites: [acme], invalidSites: ["old"], live: state });
    expect(input.sites.find((s) => s.name === "old")?.domains).toEqual(["old.org"]);
    expect(input.tools?.map((t) => t.domain)).toEqual(["db.acme.org"]);
  });
});
