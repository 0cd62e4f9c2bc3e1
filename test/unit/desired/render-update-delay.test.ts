import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import { renderDesired, webUpdateDelay } from "../../../controller/desired/render";
import { shapeFromApi } from "../../../controller/live/normalize";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";
import { IDS } from "../../fixtures/core/live";
import { find } from "./helpers";

// Varnish lists task addresses: between two task replacements a routing sync must have time
// to put the new task in the VCL before the last old task it lists stops.
describe("render: pause between web task replacements", () => {
  it("leaves one routing sync (5 s) between the R-1 replacements a site can absorb", () => {
    expect([1, 2, 3, 4, 6, 50].map(webUpdateDelay)).toEqual([5, 5, 3, 2, 1, 1]);
  });

  it("sets it on web only: database and Varnish are stop-first and not routed by task", () => {
    const d = renderDesired({
      sites: [site({ web: { replicas: 3 } })],
      cluster: cluster({ varnish: { image: "v", port: 80, replicas: 1, mode: "replicated", constraints: [], cacheSize: "1G", optimiseVcl: false, vcl: {} } }),
      varnishSecret: { hash: "0123456789" },
    });
    expect(find(d, "service", "acme_web").shape.update.delaySeconds).toBe(3);
    expect(find(d, "service", "acme_db").shape.update.delaySeconds).toBe(0);
    expect(find(d, "service", "sim_varnish").shape.update.delaySeconds).toBe(0);
  });

  it("reaches the engine as UpdateConfig.Delay (and rollbacks) in nanoseconds, and reads back the same", () => {
    const web = find(desiredOf([site()]), "service", "acme_web");
    const api = serviceSpecToApi(web, web.labels, IDS);
    expect(api.UpdateConfig?.Delay).toBe(5_000_000_000);
    expect(api.RollbackConfig?.Delay).toBe(5_000_000_000);
    expect(shapeFromApi(api, new Map([["net-acme_default", "acme_default"], ["net-sim_edge", "sim_edge"]])).update).toEqual(web.shape.update);
  });
});
