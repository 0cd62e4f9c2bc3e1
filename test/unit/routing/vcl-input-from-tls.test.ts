import type { LiveSecret } from "../../../controller/live/types";
import { vclInputFrom } from "../../../controller/routing/vcl-input-from";
import { bareSite, cluster } from "../../fixtures/core/builders";
import { live } from "./live-builder";

const tlsCluster = cluster({ tls: { image: "simulium/tls:local", port: 443, publicPort: 443, replicas: 1, global: false, constraints: [] } });
const site = bareSite("acme", { domains: ["acme.org"], tls: { mode: "acme", redirect: true } });
const secret = (name: string): LiveSecret => ({ kind: "secret", id: `id-${name}`, name, site: null, labels: {} });

describe("routing: the https redirect follows the terminator's certificates", () => {
  const redirectOf = (services: readonly { name: string }[], secrets: readonly LiveSecret[]) =>
    vclInputFrom({ cluster: tlsCluster, sites: [site], live: { ...live(services, []), secrets } }).sites[0]?.tls?.redirect;

  it("redirects once the terminator runs and the site's certificate secret exists (the terminator mounts none: they are delivered)", () => {
    expect(redirectOf([{ name: "sim_tls" }], [secret("acme_tls-0123456789")])).toBe(true);
  });

  it("does not redirect without the terminator or without the site's certificate (https would not answer)", () => {
    expect(redirectOf([], [secret("acme_tls-0123456789")])).toBe(false);
    expect(redirectOf([{ name: "sim_tls" }], [])).toBe(false);
    // Another site's certificate is not this one's.
    expect(redirectOf([{ name: "sim_tls" }], [secret("acme2_tls-0123456789")])).toBe(false);
  });
});

describe("routing: the redirect's https port", () => {
  it("is the terminator's public port (the published one unless a balancer maps another)", () => {
    const input = vclInputFrom({ cluster: cluster({ tls: { image: "t", port: 8443, publicPort: 8443, replicas: 1, global: false, constraints: [] } }), sites: [site], live: live([], []) });
    expect(input.tls?.httpsPort).toBe(8443);
  });
});
