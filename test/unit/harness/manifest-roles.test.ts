import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * `npm run demo` builds only the images its manifests name (manifest_roles in harness/lib.sh):
 * a fresh machine's first run waits for each one. Images named only in comments are not built.
 */
const lib = join(__dirname, "..", "..", "..", "harness", "lib.sh");

function roles(repo: string): string[] {
  const r = spawnSync("bash", ["-c", 'source "$0" && manifest_roles "$1"', lib, repo], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout.split("\n").filter((l) => l !== "");
}

describe("manifest_roles (harness/lib.sh)", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const repo = (files: Record<string, string>): string => {
    const d = mkdtempSync(join(tmpdir(), "manifest-roles-"));
    dirs.push(d);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(d, name, ".."), { recursive: true });
      writeFileSync(join(d, name), text);
    }
    return d;
  };

  it("lists the harness roles the YAML names, each once, and none from comments or unknown images", () => {
    const d = repo({
      "simulium.yaml": [
        "spec:",
        "  varnish:",
        "    image: simulium/varnish:local",
        "  # tls:",
        "  #   image: simulium/tls:local",
        "  backup: {image: simulium/backup:local}  # and simulium/sftp:local in a comment",
      ].join("\n"),
      "sites/a.yaml": "spec:\n  web: {image: simulium/web:local}\n  database: {image: 'simulium/mariadb:local'}\n",
      "sites/b.yml": "spec:\n  web: {image: simulium/web:local}\n",
      "stack.yml": "services:\n  controller: {image: simulium/controller:local}\n",
      "README.md": "simulium/phpmyadmin:local is not a manifest\n",
    });
    expect(roles(d)).toEqual(["backup", "mariadb", "varnish", "web"]);
  });

  it("lists nothing for a repository that names no local image", () => {
    expect(roles(repo({ "simulium.yaml": "spec:\n  instance: x\n" }))).toEqual([]);
  });

  it("lists the example repository's images: the demo's HTTPS terminator among them, nothing else", () => {
    expect(roles(join(__dirname, "..", "..", "..", "sites.example"))).toEqual(["backup", "mariadb", "tls", "varnish", "web"]);
  });
});
