import { parse } from "yaml";
import { DrushAliasOptionError, GENERATED_MARK, renderDrushAliases } from "../../../controller/sitegen/drush-aliases";
import { site } from "../../fixtures/core/builders";

const ssh = { image: "registry.example.com/acme-dev:10.3", port: 2222, keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOXl dev@a"] };
const opts = { host: "node1.example.org", root: "/var/www/html", scheme: "https" as const };

describe("drush aliases: one file per site with SSH access", () => {
  const { files, skipped } = renderDrushAliases([site({ name: "zeta" }), site({ name: "acme", access: { ssh } })], opts);

  it("writes drush/sites/<site>.site.yml with the prod alias through the site's SSH service (golden)", () => {
    expect(files.map((f) => f.path)).toEqual(["drush/sites/acme.site.yml"]);
    expect(files[0]?.text).toBe(
      [
        `${GENERATED_MARK} from sites/acme.yaml; change the manifest and regenerate rather than edit.`,
        "# drush @acme.prod status   (through the site's SSH service on port 2222)",
        "# Pin the site's host key once, after checking its fingerprint with the operator:",
        "#   ssh-keyscan -p 2222 -t ecdsa node1.example.org >> ~/.ssh/known_hosts",
        "prod:",
        "  host: node1.example.org",
        "  user: site",
        "  root: /var/www/html",
        "  uri: https://acme.example.org",
        "  ssh:",
        "    options: -p 2222 -o StrictHostKeyChecking=yes -o PasswordAuthentication=no",
        "",
      ].join("\n"),
    );
  });

  it("parses back as Drush reads it: host, user, root, uri and the port in ssh.options", () => {
    expect(parse(files[0]?.text ?? "")).toEqual({
      prod: {
        host: "node1.example.org",
        user: "site",
        root: "/var/www/html",
        uri: "https://acme.example.org",
        ssh: { options: "-p 2222 -o StrictHostKeyChecking=yes -o PasswordAuthentication=no" },
      },
    });
  });

  it("lists a site without SSH access as skipped, with the reason and its manifest", () => {
    expect(skipped).toEqual([{ site: "zeta", reason: "no SSH access: add spec.access.ssh to sites/zeta.yaml (or it has enabled: false)" }]);
  });

  it("takes the scheme and the first domain for the uri", () => {
    const http = renderDrushAliases([site({ name: "acme", domains: ["www.acme.org", "acme.org"], access: { ssh } })], { ...opts, scheme: "http" });
    expect(parse(http.files[0]?.text ?? "").prod.uri).toBe("http://www.acme.org");
  });

  it("refuses a host or root that would make a broken alias or an ssh option", () => {
    expect(() => renderDrushAliases([], { ...opts, host: "-oProxyCommand=sh" })).toThrow(DrushAliasOptionError);
    expect(() => renderDrushAliases([], { ...opts, host: "node 1" })).toThrow(/--host must be a host name/);
    expect(() => renderDrushAliases([], { ...opts, root: "var/www" })).toThrow(/--root must be an absolute path/);
    expect(renderDrushAliases([], { ...opts, host: "10.0.0.7" }).files).toEqual([]);
  });
});
