import { LABEL } from "../../../controller/desired/labels";
import { renderDesired } from "../../../controller/desired/render";
import { backendFromLabels, backendLabels, routingFromLabels, routingLabels } from "../../../controller/desired/routing-labels";
import { SITE_DEFAULTS } from "../../../controller/manifests/defaults";
import { vclInputFrom } from "../../../controller/routing/vcl-input-from";
import { renderVcl } from "../../../controller/varnish/vcl";
import { VclInputError } from "../../../controller/varnish/vcl-input";
import { bareSite, cluster } from "../../fixtures/core/builders";
import { live } from "./live-builder";

const shop = bareSite("shop", { domains: ["shop.org"], routing: { cache: true, passPaths: ["/cart", "/checkout"], ttl: 300, firstByteTimeout: 600 } });
const plain = bareSite("plain", { domains: ["plain.org"] });
const state = live([{ name: "shop_web" }, { name: "plain_web" }], [{ service: "shop_web", ip: "10.0.9.2" }, { service: "plain_web", ip: "10.0.9.3" }]);

describe("routing: spec.routing into the VCL input", () => {
  it("carries a site's overrides as they are, and none for a site without them", () => {
    const input = vclInputFrom({ cluster: cluster(), sites: [shop, plain], live: state });
    expect(input.sites[0]?.routing).toEqual({ cache: true, passPaths: ["/cart", "/checkout"], ttl: 300, firstByteTimeout: 600 });
    expect(input.sites[1]).not.toHaveProperty("routing");
  });

  it("reaches the rendered VCL for that site only", () => {
    const vcl = renderVcl(vclInputFrom({ cluster: cluster(), sites: [shop, plain], live: state }));
    expect(vcl).toContain('req.http.X-Simulium-Site == "shop" && req.url ~ "^(/cart|/checkout)([/?]|$)"');
    expect(vcl).toContain(".first_byte_timeout = 600s;");
    expect(vcl).not.toContain('X-Simulium-Site == "plain" && req.url');
  });

  it("still refuses an injected pass path that bypassed the schema (defence in depth)", () => {
    const evil = bareSite("evil", { domains: ["evil.org"], routing: { passPaths: ['/x"; return (pipe); #'] } });
    const input = vclInputFrom({ cluster: cluster(), sites: [evil], live: live([], []) });
    expect(() => renderVcl(input)).toThrow(VclInputError);
    expect(() => renderVcl(input)).toThrow("sites[evil].routing.passPaths[0]");
  });

  it("keeps an invalid site's last applied overrides (a site that must not be cached stays uncached)", () => {
    const applied = renderDesired({ sites: [bareSite("gone", { domains: ["gone.org"], routing: { cache: false, grace: 0 } })], cluster: cluster() });
    const web = applied.resources.find((r) => r.kind === "service" && r.name === "gone_web");
    if (web?.kind !== "service") throw new Error("no web service rendered");
    const input = vclInputFrom({
      cluster: cluster(),
      sites: [],
      invalidSites: ["gone"],
      live: live([{ name: "gone_web", labels: { ...web.labels } }], [{ service: "gone_web", ip: "10.0.9.4" }]),
    });
    expect(input.sites[0]).toMatchObject({ name: "gone", domains: ["gone.org"], routing: { cache: false, grace: 0 } });
    expect(renderVcl(input)).toContain('if (req.http.X-Simulium-Site == "gone") {\n    return (pass);');
  });

  it("keeps an invalid site's last applied port and probe, never the defaults", () => {
    const site = bareSite("gone", { domains: ["gone.org"], web: { port: 8080, healthcheck: { path: "/healthz.php", interval: 3, timeout: 2 } } });
    const web = renderDesired({ sites: [site], cluster: cluster() }).resources.find((r) => r.kind === "service" && r.name === "gone_web");
    if (web?.kind !== "service") throw new Error("no web service rendered");
    const running = live([{ name: "gone_web", labels: { ...web.labels } }], [{ service: "gone_web", ip: "10.0.9.4" }]);
    const asValid = vclInputFrom({ cluster: cluster(), sites: [site], live: running }).sites[0];
    const asInvalid = vclInputFrom({ cluster: cluster(), sites: [], invalidSites: ["gone"], live: running }).sites[0];
    expect(asInvalid).toEqual(asValid);
    expect(asInvalid).toMatchObject({ backends: [{ host: "10.0.9.4", port: 8080 }], healthcheck: { path: "/healthz.php", interval: 3, timeout: 2 } });
  });
});

describe("port and probe labels (web service)", () => {
  const b = { port: 8080, healthcheck: { path: "/healthz.php?db=1", interval: 7, timeout: 3 } };

  it("records all four fields, and reads them back as they were", () => {
    expect(backendLabels(b)).toEqual({
      "simulium.routing.port": "8080",
      "simulium.routing.healthcheck.path": "/healthz.php?db=1",
      "simulium.routing.healthcheck.interval": "7",
      "simulium.routing.healthcheck.timeout": "3",
    });
    expect(backendFromLabels(backendLabels(b))).toEqual(b);
    // Overrides and these labels share a prefix without mixing.
    expect(routingFromLabels(backendLabels(b))).toBeUndefined();
  });

  it("falls back to the default per field for a missing or hand-edited label, never to VCL text", () => {
    const edited = { ...backendLabels(b), "simulium.routing.port": "99999", "simulium.routing.healthcheck.path": '/x"; }' };
    const d = SITE_DEFAULTS;
    expect(backendFromLabels(edited)).toEqual({ port: d.web.port, healthcheck: { path: d.healthcheck.path, interval: 7, timeout: 3 } });
    expect(backendFromLabels({})).toEqual({ port: d.web.port, healthcheck: d.healthcheck });
  });
});

describe("routing labels (web service)", () => {
  it("hold one label per set field, passPaths sorted and comma-joined", () => {
    expect(routingLabels({ cache: false, passPaths: ["/z", "/a", "/z"], ttl: 0, staticTtl: 60, grace: 5, firstByteTimeout: 9 })).toEqual({
      [`${LABEL.routingPrefix}cache`]: "false",
      [`${LABEL.routingPrefix}passPaths`]: "/a,/z",
      [`${LABEL.routingPrefix}ttl`]: "0",
      [`${LABEL.routingPrefix}staticTtl`]: "60",
      [`${LABEL.routingPrefix}grace`]: "5",
      [`${LABEL.routingPrefix}firstByteTimeout`]: "9",
    });
    expect(routingLabels(undefined)).toEqual({});
  });

  it("read back to the same overrides", () => {
    const r = { cache: true, passPaths: ["/a", "/b"], ttl: 300, staticTtl: 0, grace: 60, firstByteTimeout: 600 };
    expect(routingFromLabels(routingLabels(r))).toEqual(r);
    expect(routingFromLabels({})).toBeUndefined();
  });

  it("drop hand-edited values that do not parse instead of breaking every site's VCL", () => {
    const p = LABEL.routingPrefix;
    const edited = { [`${p}cache`]: "nope", [`${p}passPaths`]: '/ok,/x"y', [`${p}ttl`]: "-5", [`${p}grace`]: "1e3", [`${p}firstByteTimeout`]: "0", [`${p}staticTtl`]: "99999999999" };
    expect(routingFromLabels(edited)).toEqual({ passPaths: ["/ok"] });
  });
});
