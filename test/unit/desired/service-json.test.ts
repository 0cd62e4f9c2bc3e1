import { canonicalJson } from "../../../controller/desired/hash";
import { serviceSpecHash } from "../../../controller/desired/service-hash";
import { renderDesired } from "../../../controller/desired/render";
import { serviceJson } from "../../../controller/desired/service-json";
import type { ServiceSpec } from "../../../controller/desired/types";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";

const services = (d: { resources: readonly { kind: string }[] }): ServiceSpec[] => d.resources.filter((r): r is ServiceSpec => r.kind === "service");

describe("serviceJson: the service writer the render hashes with", () => {
  const desired = desiredOf([
    site(),
    site({ name: "plain", database: undefined, volumes: [], labels: {}, web: { ...site().web, command: ["apache2-foreground", "-D", "FOREGROUND"], resources: {} } }),
    // Strings JSON must escape, and keys whose order in the manifest is not sorted.
    site({ name: "odd", labels: { "z-team": 'quo"te', a: "back\\slash", "m\u00e9": "\u00fcnicode\nline" }, web: { ...site().web, env: { ZED: "1", ALPHA: "\u0001", MID: "tab\there" } } }),
    site({ name: "sftp", access: { sftp: { image: "simulium/sftp:1", port: 2201, keys: ["ssh-ed25519 AAAA dev@a"], volume: "files" } } }),
  ]);

  // Every kind of service the render hashes with the writer: the shared Varnish, and the
  // access services (phpMyAdmin, SSH) too.
  const shared = renderDesired({
    sites: [site({ name: "tools", access: { phpmyadmin: { image: "simulium/phpmyadmin:1", domain: "db.tools.example.org", user: "admin" }, ssh: { image: "simulium/ssh:1", port: 2222, keys: ["ssh-ed25519 AAAA dev@a"] } } })],
    cluster: cluster({ varnish: { image: "varnish:7.5", port: 8080, replicas: 2, mode: "replicated", constraints: [], cacheSize: "512M", optimiseVcl: false, vcl: {} } }),
    varnishSecret: { hash: "0123456789" },
  });

  it.each([...services(desired), ...services(shared)].map((s) => [s.name, s] as const))("writes %s exactly as canonicalJson does", (_name, s) => {
    const { labels, shape } = s;
    expect(serviceJson(shape, labels)).toBe(canonicalJson({ labels, shape }));
  });

  it("covers services with and without args, ports, mounts, secrets and limits", () => {
    const all = services(desired);
    expect(all.some((s) => s.shape.args !== null)).toBe(true);
    expect(all.some((s) => s.shape.args === null)).toBe(true);
    expect(all.some((s) => s.shape.ports.length > 0)).toBe(true);
    expect(all.some((s) => s.shape.memoryBytes === null)).toBe(true);
    expect(all.some((s) => s.shape.memoryBytes !== null)).toBe(true);
    expect(all.some((s) => s.shape.secrets.length > 0 && s.shape.mounts.length > 0)).toBe(true);
  });

  it("is what a service's spec hash is made from: reordering env keys keeps the hash", () => {
    const a = desiredOf([site({ web: { ...site().web, env: { A: "1", B: "2" } } })]);
    const b = desiredOf([site({ web: { ...site().web, env: { B: "2", A: "1" } } })]);
    const hash = (d: ReturnType<typeof desiredOf>) => services(d).map((s) => serviceSpecHash(s));
    expect(hash(a)).toEqual(hash(b));
    expect(hash(a).every((h) => typeof h === "string" && h.length === 12)).toBe(true);
  });
});
