import { loadFiles } from "../../../controller/manifests/load";
import { loadSite, siteYaml } from "./helpers";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOXl4LO+0v+nxh1/LVEISrlGxj10jHef7WlK1dQv+Ter dev@laptop";
const volumes = "  volumes:\n    - {name: files, mountPath: /var/www/html/files}\n    - {name: private, mountPath: /var/www/private}\n";
const sftpYaml = (name = "acme", sftp = `{port: 2201, keys: ["${KEY}"], image: "simulium/sftp:1"}`) =>
  `${siteYaml(name, [`${name}.example.org`])}${volumes}  access:\n    sftp: ${sftp}\n`;

describe("spec.access.sftp", () => {
  it("resolves to the first volume when none is named", () => {
    const r = loadSite("acme", sftpYaml());
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.access).toEqual({ sftp: { image: "simulium/sftp:1", port: 2201, keys: [KEY], volume: "files" } });
  });

  it("takes the image from simulium.yaml defaults and serves a named volume", () => {
    const r = loadFiles([
      { path: "simulium.yaml", text: "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  defaults:\n    sftp: {image: simulium/sftp:2}\n" },
      { path: "sites/acme.yaml", text: sftpYaml("acme", `{port: 2201, keys: ["${KEY}"], volume: private}`) },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.access?.sftp).toMatchObject({ image: "simulium/sftp:2", volume: "private" });
  });

  it("leaves a disabled server out", () => {
    const r = loadSite("acme", sftpYaml("acme", `{enabled: false, port: 2201, keys: ["${KEY}"]}`));
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.access).toBeUndefined();
  });

  it.each([
    ["a private key line", "-----BEGIN OPENSSH PRIVATE KEY-----"],
    ["an unknown key type", "ssh-dss AAAAB3NzaC1kc3MAAACBAP dev"],
    ["authorized_keys options", `no-pty,no-port-forwarding ${KEY}`],
    ["a key split over two lines", `${KEY}\\nssh-ed25519 AAAAC3Nz x`],
  ])("refuses %s as a key", (_what, key) => {
    const r = loadSite("acme", sftpYaml("acme", `{port: 2201, keys: ["${key}"], image: "i"}`));
    expect(r.errors.map((e) => e.path)).toEqual(["spec.access.sftp.keys[0]"]);
  });

  it("needs a volume to serve, and an image", () => {
    const noVolume = `${siteYaml()}  access:\n    sftp: {port: 2201, keys: ["${KEY}"]}\n`;
    expect(loadSite("acme", noVolume).errors.map((e) => [e.path, e.message])).toEqual([
      ["spec.access.sftp.image", "no SFTP image: set spec.access.sftp.image, or spec.defaults.sftp.image in simulium.yaml"],
      ["spec.access.sftp", "SFTP serves one of the site's volumes, and this site has none: add one to spec.volumes"],
    ]);
    const unknown = loadSite("acme", sftpYaml("acme", `{port: 2201, keys: ["${KEY}"], image: "i", volume: uploads}`));
    expect(unknown.errors.map((e) => [e.path, e.message])).toEqual([["spec.access.sftp.volume", 'no volume named "uploads" in spec.volumes']]);
  });

  it("gives a port to the first site in file order and rejects the later one", () => {
    const r = loadSite("acme", sftpYaml("acme"), { beta: sftpYaml("beta") });
    expect(r.sites.map((s) => s.name)).toEqual(["acme"]);
    expect(r.invalidSites).toEqual(["beta"]);
    expect(r.errors.map((e) => [e.file, e.line, e.path, e.message])).toEqual([
      ["sites/beta.yaml", 14, "spec.access.sftp.port", 'port 2201 is already published by site "acme" (sites/acme.yaml)'],
    ]);
  });

  it("rejects Varnish's port", () => {
    const r = loadFiles([
      { path: "simulium.yaml", text: "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  varnish: {port: 8080}\n" },
      { path: "sites/acme.yaml", text: sftpYaml("acme", `{port: 8080, keys: ["${KEY}"], image: "i"}`) },
    ]);
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([["spec.access.sftp.port", "port 8080 is already published by Varnish (simulium.yaml spec.varnish.port)"]]);
  });

  it("refuses a privileged port", () => {
    expect(loadSite("acme", sftpYaml("acme", `{port: 22, keys: ["${KEY}"], image: "i"}`)).errors.map((e) => e.path)).toEqual(["spec.access.sftp.port"]);
  });
});
