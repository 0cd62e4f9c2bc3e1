import { accessResources } from "../../../controller/access/render";
import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import { LABEL } from "../../../controller/desired/labels";
import type { SitePin } from "../../../controller/desired/placement";
import { renderSite } from "../../../controller/desired/render";
import type { ResourceSpec, ServiceSpec } from "../../../controller/desired/types";
import { moveJobSpec } from "../../../controller/move/job";
import { MOVE_ROOT } from "../../../controller/move/scripts";
import { switchPin } from "../../../controller/move/switch";
import { bareSite, cluster, site } from "../../fixtures/core/builders";
import { IDS } from "../../fixtures/core/live";

const acme = site({ name: "acme", access: { sftp: { image: "sftp:1", port: 2222, keys: ["ssh-ed25519 AAAA k"], volume: "files" }, phpmyadmin: { image: "pma:1", domain: "db.acme.example.org", user: "admin" } } });
const render = (pin: SitePin, s = acme): ResourceSpec[] => renderSite(s, cluster(), pin, [accessResources]);
const services = (rendered: readonly ResourceSpec[]): ServiceSpec[] => rendered.filter((r): r is ServiceSpec => r.kind === "service");
const api = (s: ServiceSpec) => serviceSpecToApi(s, s.labels, IDS);

describe("move: switching the pin", () => {
  // node1 is the controller's; a switch between two other nodes, and to and from node1.
  const cases: [string, SitePin, SitePin][] = [
    ["between two other nodes", { node: "n2", here: false }, { node: "n3", here: false }],
    ["from the controller's node", { node: "n1", here: true }, { node: "n3", here: false }],
    ["to the controller's node", { node: "n2", here: false }, { node: "n1", here: true }],
  ];

  it.each(cases)("gives each service exactly what a reconcile renders pinned to the new node (%s)", (_what, from, to) => {
    const before = services(render(from));
    const after = services(render(to));
    expect(before.map((s) => s.name).sort()).toEqual(["acme_db", "acme_phpmyadmin", "acme_sftp", "acme_web"]);
    for (const s of before) {
      const target = after.find((x) => x.name === s.name) as ServiceSpec;
      const switched = switchPin(api(s), from.node, to.node, target);
      if (switched === null) {
        // Only a service that mounts nothing and carries no pin (phpMyAdmin) is left alone.
        expect(s.labels[LABEL.node]).toBeUndefined();
        expect(api(target)).toEqual(api(s));
        continue;
      }
      expect(switched).toEqual(api(target));
    }
  });

  it("is idempotent: a service switched already needs no update", () => {
    const db = (pin: SitePin) => services(render(pin)).find((s) => s.name === "acme_db") as ServiceSpec;
    const once = switchPin(api(db({ node: "n2", here: false })), "n2", "n3", db({ node: "n3", here: false }));
    expect(once?.TaskTemplate?.Placement?.Constraints).toEqual(["node.id==n3", "node.role==worker"]);
    expect(switchPin(once!, "n2", "n3", db({ node: "n3", here: false }))).toBeNull();
  });

  it("labels web with the new node where web mounts nothing (a site with a database only), without constraining it", () => {
    const lean = bareSite("lean", { database: site().database });
    const web = (pin: SitePin) => services(render(pin, lean)).find((s) => s.role === "web") as ServiceSpec;
    const switched = switchPin(api(web({ node: "n2", here: false })), "n2", "n3", web({ node: "n3", here: false }));
    expect(switched?.Labels?.[LABEL.node]).toBe("n3");
    expect(switched?.TaskTemplate?.Placement?.Constraints).toEqual(["node.role==worker"]);
    expect(switched).toEqual(api(web({ node: "n3", here: false })));
  });
});

describe("move: the copy jobs", () => {
  const rendered = render({ node: "n3", here: false });
  const spec = moveJobSpec(acme, rendered, { image: "tools:1", node: "n3", writable: true, env: { MOVE_TOKEN: "t" } });

  it("mount every volume of the site, the database's too, under /move, on the named node only", () => {
    expect(spec.shape.mounts).toEqual(
      ["acme_db-data", "acme_files", "acme_private"].map((v) => ({ source: v, target: `${MOVE_ROOT}/${v}`, readOnly: false })),
    );
    expect(spec.shape.constraints).toEqual(["node.id==n3"]);
    expect(spec.shape.image).toBe("tools:1");
  });

  it("have the new node's engine make the volumes labelled as the site's on that node", () => {
    for (const v of ["acme_db-data", "acme_files", "acme_private"]) {
      expect(spec.volumes?.[v]?.labels).toMatchObject({ [LABEL.instance]: "sim", [LABEL.site]: "acme", [LABEL.node]: "n3" });
      expect(spec.volumes?.[v]?.driver).toBe("local");
    }
  });

  it("join the site's network only, with no secret; the sender mounts read-only", () => {
    expect(spec.shape.networks).toEqual(["acme_default"]);
    expect(spec.shape.secrets).toEqual([]);
    expect(spec.shape.ports).toEqual([]);
    const sender = moveJobSpec(acme, render({ node: "n2", here: false }), { image: "tools:1", node: "n2", writable: false, env: {} });
    expect(sender.shape.mounts.every((m) => m.readOnly)).toBe(true);
  });
});
