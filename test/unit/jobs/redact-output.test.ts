import { redactKnown, siteSecretValues } from "../../../controller/jobs/redact-output";
import { renderDesired } from "../../../controller/desired/render";
import { loadFiles } from "../../../controller/manifests/load";

describe("redacting known secret values from job output before it is stored", () => {
  it("replaces every occurrence of each value of at least 6 characters by its name", () => {
    const secrets = [
      { name: "api-token", value: "tok-3f9a1c" },
      { name: "smtp-password", value: "Sm7p-pass-word" },
      { name: "pin", value: "1234" },
    ];
    expect(redactKnown("error: token tok-3f9a1c refused (tok-3f9a1c)\nSm7p-pass-word\n1234", secrets)).toBe(
      "error: token [redacted:api-token] refused ([redacted:api-token])\n[redacted:smtp-password]\n1234",
    );
    expect(redactKnown("nothing to hide", secrets)).toBe("nothing to hide");
  });

  it("redacts the longer of two overlapping values whole, and ignores a trailing line break of a value", () => {
    const secrets = [
      { name: "short", value: "abcdef" },
      { name: "long", value: "abcdef-and-more\n" },
    ];
    expect(redactKnown("x abcdef-and-more y abcdef z", secrets)).toBe("x [redacted:long] y [redacted:short] z");
  });

  it("gives each site its own secrets' values and the shared ones (restic password, Varnish secret), never another site's", () => {
    const site = (name: string) =>
      ["apiVersion: simulium/v1", "kind: Site", `metadata: {name: ${name}}`, "spec:", `  domains: [${name}.example.org]`, "  web: {image: registry.example.com/drupal:10.3}", "  secrets:", `    - {name: loot, sealed: "${Buffer.from(`age-encryption.org/v1\n${name}`).toString("base64")}"}`, ""].join("\n");
    const load = loadFiles([
      { path: "sites/acme.yaml", text: site("acme") },
      { path: "sites/beta.yaml", text: site("beta") },
    ]);
    expect(load.errors).toEqual([]);
    const desired = renderDesired({ sites: load.sites, cluster: load.cluster! });
    // Apply's lookup: by Swarm secret name, which carries the site and a hash.
    const byName = new Map(desired.resources.flatMap((r) => (r.kind === "secret" && r.site ? [[r.name, Buffer.from(`${r.site}-value`)] as const] : [])));
    const value = (swarmName: string): Buffer | undefined => byName.get(swarmName);
    const acme = siteSecretValues(desired, value, [{ name: "varnish-secret", value: "varnish-admin-secret" }])("acme");
    expect(acme).toEqual([
      { name: "loot", value: "acme-value" },
      { name: "varnish-secret", value: "varnish-admin-secret" },
    ]);
  });
});
