import { loadFiles } from "../../../controller/manifests/load";
import { loadSite, siteYaml } from "./helpers";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOXl4LO+0v+nxh1/LVEISrlGxj10jHef7WlK1dQv+Ter dev@laptop";
const sshYaml = (name = "acme", ssh = `{port: 2222, keys: ["${KEY}"], image: "simulium/ssh:1"}`, extra = "") =>
  `${siteYaml(name, [`${name}.example.org`])}  access:\n    ssh: ${ssh}\n${extra}`;

describe("spec.access.ssh", () => {
  it("resolves the port, keys and image", () => {
    const r = loadSite("acme", sshYaml());
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.access).toEqual({ ssh: { image: "simulium/ssh:1", port: 2222, keys: [KEY] } });
  });

  it("takes the image from simulium.yaml defaults", () => {
    const r = loadFiles([
      { path: "simulium.yaml", text: "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  defaults:\n    ssh: {image: simulium/ssh:2}\n" },
      { path: "sites/acme.yaml", text: sshYaml("acme", `{port: 2222, keys: ["${KEY}"]}`) },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.access?.ssh?.image).toBe("simulium/ssh:2");
  });

  it("leaves a disabled server out, and needs an image when enabled", () => {
    expect(loadSite("acme", sshYaml("acme", `{enabled: false, port: 2222, keys: ["${KEY}"]}`)).sites[0]?.access).toBeUndefined();
    expect(loadSite("acme", sshYaml("acme", `{port: 2222, keys: ["${KEY}"]}`)).errors.map((e) => [e.path, e.message])).toEqual([
      ["spec.access.ssh.image", "no SSH image: set spec.access.ssh.image, or spec.defaults.ssh.image in simulium.yaml"],
    ]);
  });

  it.each([
    ["no keys", "{port: 2222, keys: [], image: i}", "spec.access.ssh.keys"],
    ["a private key line", '{port: 2222, keys: ["-----BEGIN OPENSSH PRIVATE KEY-----"], image: i}', "spec.access.ssh.keys[0]"],
    ["authorized_keys options", `{port: 2222, keys: ["command=\\"sh\\" ${KEY}"], image: i}`, "spec.access.ssh.keys[0]"],
    ["a privileged port", `{port: 22, keys: ["${KEY}"], image: i}`, "spec.access.ssh.port"],
    ["a password", `{port: 2222, keys: ["${KEY}"], password: x, image: i}`, "spec.access.ssh.password"],
  ])("refuses %s", (_what, ssh, path) => {
    expect(loadSite("acme", sshYaml("acme", ssh)).errors.map((e) => e.path)).toEqual([path]);
  });

  it("gives a port to the first site in file order, and refuses a port the site's SFTP server publishes", () => {
    const cross = loadSite("acme", sshYaml(), { beta: sshYaml("beta") });
    expect(cross.invalidSites).toEqual(["beta"]);
    expect(cross.errors.map((e) => [e.file, e.path, e.message])).toEqual([
      ["sites/beta.yaml", "spec.access.ssh.port", 'port 2222 is already published by site "acme" (sites/acme.yaml)'],
    ]);
    const volumes = "  volumes:\n    - {name: files, mountPath: /var/www/html/files}\n";
    const both = `${siteYaml()}${volumes}  access:\n    sftp: {port: 2222, keys: ["${KEY}"], image: s}\n    ssh: {port: 2222, keys: ["${KEY}"], image: i}\n`;
    expect(loadSite("acme", both).errors.map((e) => [e.path, e.message])).toEqual([
      ["spec.access.ssh.port", "port 2222 is already published by another service of this site"],
    ]);
  });

  it("refuses Varnish's port", () => {
    const r = loadFiles([
      { path: "simulium.yaml", text: "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  varnish: {port: 2222}\n" },
      { path: "sites/acme.yaml", text: sshYaml() },
    ]);
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([["spec.access.ssh.port", "port 2222 is already published by Varnish (simulium.yaml spec.varnish.port)"]]);
  });
});
