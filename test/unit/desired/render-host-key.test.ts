import { renderCompose } from "../../../controller/compose/render";
import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import { SSH_HOST_KEY } from "../../../controller/desired/names";
import type { SecretSpec } from "../../../controller/desired/types";
import { shapeFromApi } from "../../../controller/live/normalize";
import { loadSite, siteYaml } from "../manifests/helpers";
import { makePlan } from "../../../controller/plan/plan";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";
import { find } from "./helpers";

const KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOXl dev@a"];
const sftp = { image: "simulium/sftp:1", port: 2201, keys: KEYS, volume: "files" };
const ssh = { image: "simulium/ssh:1", port: 2222, keys: KEYS };

describe("render: the SSH host key of a site's SFTP and SSH servers", () => {
  const desired = desiredOf([site({ access: { sftp, ssh } })]);
  const keys = desired.resources.filter((r): r is SecretSpec => r.kind === "secret" && r.logicalName === SSH_HOST_KEY);

  it("is one secret per site, made by the controller at apply time, shared by both servers read-only for root", () => {
    expect(keys).toHaveLength(1);
    expect(keys[0]!.source).toEqual({ sshHostKey: true });
    expect(keys[0]!.name).toMatch(/^acme_ssh-host-key-[0-9a-f]{10}$/);
    for (const name of ["acme_sftp", "acme_ssh"]) {
      expect(find(desired, "service", name).shape.secrets).toContainEqual({ secretName: keys[0]!.name, target: SSH_HOST_KEY, mode: 0o400 });
    }
  });

  it("never reaches the web service, and a site without SFTP or SSH has none", () => {
    expect(find(desired, "service", "acme_web").shape.secrets.map((s) => s.target)).not.toContain(SSH_HOST_KEY);
    expect(desiredOf([site()]).resources.some((r) => r.kind === "secret" && r.logicalName === SSH_HOST_KEY)).toBe(false);
  });

  it("keeps its name across renders (the key is made once, never rotated by a reconcile)", () => {
    const again = desiredOf([site({ access: { sftp } })]).resources.find((r) => r.kind === "secret" && r.logicalName === SSH_HOST_KEY);
    expect(again?.name).toBe(keys[0]!.name);
  });

  it("goes to Swarm with mode 0400, and the running service reads back as the same spec", () => {
    const spec = find(desired, "service", "acme_ssh");
    const api = serviceSpecToApi(spec, {}, { networkId: (n) => `id-${n}`, secretId: (n) => `id-${n}` });
    const files = api.TaskTemplate?.ContainerSpec?.Secrets?.map((s) => [s.File?.Name, s.File?.Mode]);
    expect(files).toContainEqual([SSH_HOST_KEY, 0o400]);
    expect(files).toContainEqual(["db-password", 0o444]);
    // The engine reports network IDs; the reader maps them back to names.
    const live = shapeFromApi(api, new Map(spec.shape.networks.map((n) => [`id-${n}`, n])));
    expect(live.secrets).toEqual(spec.shape.secrets);
  });

  it("shows in a plan without any value", () => {
    const plan = makePlan(desired, { networks: [], secrets: [], volumes: [], services: [], tasks: [], jobs: [] });
    const created = plan.actions.find((a) => a.kind === "secret" && a.name === keys[0]!.name);
    expect(created?.changes).toEqual([{ field: "value", op: "+", after: "(generated SSH host key)" }]);
  });

  it("is left out of a laptop's compose file, which has neither server", () => {
    const out = renderCompose({ site: site({ access: { sftp, ssh } }), cluster: cluster(), port: 8081, secretsDir: "/tmp/s" });
    expect(out.secrets.map((s) => s.name)).not.toContain(SSH_HOST_KEY);
    expect(out.secrets.map((s) => s.name)).toContain("db-password");
  });

  it("is a reserved name in spec.secrets", () => {
    const r = loadSite("acme", `${siteYaml("acme", ["acme.example.org"])}  secrets: [{name: ssh-host-key, generate: {length: 32}}]\n`);
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([
      ["spec.secrets[0].name", '"ssh-host-key" is reserved for the SSH host key simulium makes for the site\'s SFTP and SSH servers: choose another name'],
    ]);
  });
});
