import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import { LABEL } from "../../../controller/desired/labels";
import { renderDesired } from "../../../controller/desired/render";
import { shapeFromApi } from "../../../controller/live/normalize";
import { EMPTY_LIVE } from "../../../controller/live/types";
import { makePlan } from "../../../controller/plan/plan";
import { renderPlanText } from "../../../controller/plan/render";
import { cluster, site } from "../../fixtures/core/builders";
import { IDS, liveFromDesired, networkId } from "../../fixtures/core/live";
import { find } from "./helpers";

const withVarnish = cluster({ varnish: { image: "varnish:7.5", port: 8080, replicas: 2, mode: "replicated", constraints: [], cacheSize: "512M", optimiseVcl: false, vcl: {} } });
const render = (hash = "0123456789", c = withVarnish) => renderDesired({ sites: [site()], cluster: c, varnishSecret: { hash } });

describe("render: the shared Varnish", () => {
  it("renders nothing for Varnish when simulium.yaml names no Varnish image", () => {
    const d = renderDesired({ sites: [site()], cluster: cluster() });
    expect(d.resources.filter((r) => r.site === null).map((r) => r.name)).toEqual(["sim_edge", "sim_admin", "sim_tools"]);
  });

  it("refuses to render Varnish without its admin secret", () => {
    expect(() => renderDesired({ sites: [], cluster: withVarnish })).toThrow(/admin secret/);
  });

  it("renders the service on the edge, admin and tools networks, publishing its HTTP port in host mode", () => {
    const v = find(render(), "service", "sim_varnish");
    expect(v.site).toBeNull();
    expect(v.shape).toMatchObject({
      image: "varnish:7.5",
      replicas: 2,
      // The image binds its admin port on its address on that network only.
      env: { VARNISH_SIZE: "512M", VARNISH_ADMIN_NETWORK: "sim_admin" },
      networks: ["sim_admin", "sim_edge", "sim_tools"],
      ports: [{ target: 80, published: 8080, protocol: "tcp", mode: "host" }],
      update: { order: "stop-first" },
    });
    expect(v.labels).toMatchObject({ [LABEL.instance]: "sim", [LABEL.role]: "varnish" });
    expect(v.labels).not.toHaveProperty(LABEL.site);
  });

  it("compiles VCL without optimisation unless optimiseVcl asks for the image's flags", () => {
    expect(find(render(), "service", "sim_varnish").shape.args).toEqual(["-p", "cli_limit=1m", "-p", "cc_command=%D -O0 -g0"]);
    const optimised = cluster({ varnish: { ...withVarnish.varnish, optimiseVcl: true } });
    expect(find(render("0123456789", optimised), "service", "sim_varnish").shape.args).toEqual(["-p", "cli_limit=1m"]);
  });

  it("mounts the admin secret, a value the controller provides, named by its hash", () => {
    const d = render("abcdef0123");
    const secret = find(d, "secret", "sim_varnish-secret-abcdef0123");
    expect(secret.source).toEqual({ provided: true });
    expect(find(d, "service", "sim_varnish").shape.secrets).toEqual([{ secretName: secret.name, target: "varnish-secret" }]);
  });

  it("survives the engine round trip", () => {
    const v = find(render(), "service", "sim_varnish");
    expect(shapeFromApi(serviceSpecToApi(v, v.labels, IDS), new Map([[networkId("sim_edge"), "sim_edge"], [networkId("sim_admin"), "sim_admin"], [networkId("sim_tools"), "sim_tools"]]))).toEqual(v.shape);
    expect(makePlan(render(), liveFromDesired(render())).actions).toEqual([]);
  });

  it("plans the secret without a value, and a new value as a superseding version", () => {
    const text = renderPlanText(makePlan(render(), EMPTY_LIVE));
    expect(text).toContain("+ secret sim_varnish-secret-0123456789 will be created\n      + value: (from the controller's state directory)");
    const rotated = makePlan(render("fedcba9876"), liveFromDesired(render()));
    expect(rotated.actions.map((a) => `${a.op} ${a.kind} ${a.name}`)).toEqual([
      "create secret sim_varnish-secret-fedcba9876",
      "update service sim_varnish",
      "delete secret sim_varnish-secret-0123456789",
    ]);
  });

  it("plans a change of the operator's VCL snippets as a label update of the Varnish service", () => {
    const withSnippet = (deliver: string) => cluster({ varnish: { ...withVarnish.varnish, vcl: { deliver } } });
    expect(find(render(), "service", "sim_varnish").labels).not.toHaveProperty("simulium.routing.snippets");
    const one = render("0123456789", withSnippet('set resp.http.X-A = "1";'));
    const two = render("0123456789", withSnippet('set resp.http.X-A = "2";'));
    const action = makePlan(two, liveFromDesired(one)).actions;
    expect(action.map((a) => `${a.op} ${a.kind} ${a.name}`)).toEqual(["update service sim_varnish"]);
    const [update] = action;
    if (update?.op !== "update") throw new Error("no update");
    expect(update.changes.map((c) => c.field)).toEqual(["routing.snippets"]);
    expect(update.spec.shape).toEqual(find(one, "service", "sim_varnish").shape);
    expect(makePlan(one, liveFromDesired(one)).actions).toEqual([]);
  });

  it("removes Varnish when its image is dropped, keeping the secret and the VCL volume reported", () => {
    const plan = makePlan(renderDesired({ sites: [site()], cluster: cluster() }), liveFromDesired(render()));
    expect(plan.actions.map((a) => `${a.op} ${a.kind} ${a.name}`)).toEqual([
      "delete service sim_varnish",
      "retain volume sim_varnish-state",
      "retain secret sim_varnish-secret-0123456789",
    ]);
  });

  describe("global mode", () => {
    const global = cluster({ varnish: { ...withVarnish.varnish, mode: "global", constraints: ["node.labels.edge==true"] } });
    const names = new Map([[networkId("sim_edge"), "sim_edge"], [networkId("sim_admin"), "sim_admin"], [networkId("sim_tools"), "sim_tools"]]);

    it("renders one task per allowed node: Swarm's global mode, no replica count, the operator's constraints", () => {
      const v = find(render("0123456789", global), "service", "sim_varnish");
      expect(v.shape).toMatchObject({ global: true, replicas: 0, constraints: ["node.labels.edge==true"] });
      expect(serviceSpecToApi(v, v.labels, IDS).Mode).toEqual({ Global: {} });
      expect(serviceSpecToApi(find(render(), "service", "sim_varnish"), {}, IDS).Mode).toEqual({ Replicated: { Replicas: 2 } });
    });

    it("survives the engine round trip: a converged global Varnish plans nothing", () => {
      const v = find(render("0123456789", global), "service", "sim_varnish");
      expect(shapeFromApi(serviceSpecToApi(v, v.labels, IDS), names)).toEqual(v.shape);
      expect(makePlan(render("0123456789", global), liveFromDesired(render("0123456789", global))).actions).toEqual([]);
    });

    it("plans a switch of mode as an update showing the mode (apply replaces the service: Swarm cannot switch in place)", () => {
      const [update, ...rest] = makePlan(render("0123456789", global), liveFromDesired(render())).actions;
      expect(rest).toEqual([]);
      if (update?.op !== "update") throw new Error("no update");
      expect(update.changes).toEqual(
        expect.arrayContaining([
          { field: "mode", op: "+", after: "global" },
          { field: "replicas", op: "-", before: "2" },
          { field: "constraints[node.labels.edge==true]", op: "+", after: "set" },
        ]),
      );
      const back = makePlan(render(), liveFromDesired(render("0123456789", global))).actions;
      expect(back.flatMap((a) => a.changes.filter((c) => c.field === "mode"))).toEqual([{ field: "mode", op: "-", before: "global" }]);
    });
  });

  it("keeps the last VCL in a volume the image loads at start, so a restarted Varnish routes with no controller", () => {
    const d = render();
    const volume = find(d, "volume", "sim_varnish-state");
    expect(volume.site).toBeNull();
    expect(volume.labels).toMatchObject({ [LABEL.instance]: "sim", [LABEL.role]: "varnish-state", [LABEL.deletionPolicy]: "Retain" });
    expect(find(d, "service", "sim_varnish").shape.mounts).toEqual([{ source: "sim_varnish-state", target: "/var/lib/simulium-vcl", readOnly: false }]);
    const created = makePlan(d, EMPTY_LIVE).actions.map((a) => `${a.op} ${a.kind} ${a.name}`);
    expect(created.indexOf("create volume sim_varnish-state")).toBeLessThan(created.indexOf("create service sim_varnish"));
  });
});
