import { desiredOf, site } from "../../fixtures/core/builders";
import { serviceSpecHash } from "../../../controller/desired/service-hash";
import { find } from "./helpers";

const KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOXl dev@a", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB ops@b"];

describe("render: spec.access.sftp", () => {
  const desired = desiredOf([site({ access: { sftp: { image: "simulium/sftp:1", port: 2201, keys: KEYS, volume: "private" } } })]);
  const sftp = find(desired, "service", "acme_sftp");

  it("serves the chosen volume inside the image's chroot, on the site's network only", () => {
    expect(sftp.role).toBe("sftp");
    expect(sftp.shape.image).toBe("simulium/sftp:1");
    expect(sftp.shape.mounts).toEqual([{ source: "acme_private", target: "/srv/sftp/files", readOnly: false }]);
    expect(sftp.shape.networks).toEqual(["acme_default"]);
    // Only its host key, root-only (render-host-key.test.ts).
    expect(sftp.shape.secrets.map((s) => [s.target, s.mode])).toEqual([["ssh-host-key", 0o400]]);
  });

  it("publishes its port in host mode and stops the old task before starting a new one", () => {
    expect(sftp.shape.ports).toEqual([{ target: 22, published: 2201, protocol: "tcp", mode: "host" }]);
    expect(sftp.shape.replicas).toBe(1);
    expect(sftp.shape.update.order).toBe("stop-first");
    expect(sftp.shape.constraints).toEqual(["node.role==worker"]);
  });

  it("hands the keys over one per line", () => {
    expect(sftp.shape.env).toEqual({ SFTP_AUTHORIZED_KEYS: KEYS.join("\n") });
  });

  it("renders no SFTP service without spec.access", () => {
    expect(desiredOf([site()]).resources.some((r) => r.name === "acme_sftp")).toBe(false);
  });

  it("restarts only the SFTP service when a key is added", () => {
    const more = desiredOf([site({ access: { sftp: { image: "simulium/sftp:1", port: 2201, keys: [...KEYS, "ssh-ed25519 AAAAC3Nzzz x"], volume: "private" } } })]);
    expect(serviceSpecHash(find(more, "service", "acme_web"))).toBe(serviceSpecHash(find(desired, "service", "acme_web")));
    expect(serviceSpecHash(find(more, "service", "acme_sftp"))).not.toBe(serviceSpecHash(sftp));
  });
});
