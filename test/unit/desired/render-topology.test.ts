import { LABEL } from "../../../controller/desired/labels";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";
import { find, ofKind } from "./helpers";

describe("render: networks, volumes, placement and endpoint mode", () => {
  const desired = desiredOf([site({ name: "acme" }), site({ name: "beta" })]);

  it("renders one edge network, shared by every site's web service, and an admin network no site joins", () => {
    const shared = ofKind(desired, "network").filter((n) => n.site === null);
    expect(shared.map((n) => n.name)).toEqual(["sim_edge", "sim_admin", "sim_tools"]);
    expect(shared[0]).toMatchObject({ driver: "overlay", attachable: true });
    expect(shared[1]).toMatchObject({ driver: "overlay", attachable: false, labels: { [LABEL.role]: "admin" } });
    for (const s of ["acme", "beta"]) expect(find(desired, "service", `${s}_web`).shape.networks).toContain("sim_edge");
    const services = ofKind(desired, "service");
    expect(services.length).toBeGreaterThan(2);
    for (const s of services) expect(s.shape.networks).not.toContain("sim_admin");
    expect(shared[2]).toMatchObject({ driver: "overlay", attachable: false, labels: { [LABEL.role]: "tools" } });
  });

  it("attaches web to its site network and the edge network", () => {
    expect(find(desired, "service", "acme_web").shape.networks).toEqual(["acme_default", "sim_edge"]);
  });

  it("attaches the database to its own site network only, never to the edge", () => {
    expect(find(desired, "service", "acme_db").shape.networks).toEqual(["acme_default"]);
    expect(find(desired, "service", "beta_db").shape.networks).toEqual(["beta_default"]);
  });

  it("gives each site its own overlay network", () => {
    expect(find(desired, "network", "acme_default")).toMatchObject({ site: "acme", driver: "overlay", attachable: true });
  });

  it("mounts the declared volumes into web, sorted by path, with read-only kept", () => {
    const d = desiredOf([
      site({
        volumes: [
          { name: "private", mountPath: "/var/www/private", readOnly: true },
          { name: "files", mountPath: "/var/www/html/files", readOnly: false },
        ],
      }),
    ]);
    expect(find(d, "service", "acme_web").shape.mounts).toEqual([
      { source: "acme_files", target: "/var/www/html/files", readOnly: false },
      { source: "acme_private", target: "/var/www/private", readOnly: true },
    ]);
  });

  it("mounts the database volume at the MariaDB data directory, and nothing of it in web", () => {
    expect(find(desired, "service", "acme_db").shape.mounts).toEqual([{ source: "acme_db-data", target: "/var/lib/mysql", readOnly: false }]);
    expect(find(desired, "service", "acme_web").shape.mounts.map((m) => m.source)).not.toContain("acme_db-data");
  });

  it("creates volumes with the cluster's driver and options", () => {
    const d = desiredOf([site()], { cluster: cluster({ volumes: { driver: "nfs", options: { share: "srv:/export" } } }) });
    for (const v of ofKind(d, "volume")) expect(v).toMatchObject({ driver: "nfs", options: { share: "srv:/export" } });
  });

  it("renders no database, db volume or db secrets for a site without a database", () => {
    const d = desiredOf([site({ database: undefined, secrets: [] })]);
    expect(d.resources.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(
      ["network/acme_default", "network/sim_admin", "network/sim_edge", "network/sim_tools", "service/acme_web", "volume/acme_files", "volume/acme_private"].sort(),
    );
    expect(find(d, "service", "acme_web").shape.env).not.toHaveProperty("DB_HOST");
  });

  it("applies the site's placement constraints, sorted, to both services", () => {
    const d = desiredOf([site({ placement: { constraints: ["node.role==worker", "node.labels.disk==ssd"] } })]);
    for (const name of ["acme_web", "acme_db"]) {
      expect(find(d, "service", name).shape.constraints).toEqual(["node.labels.disk==ssd", "node.role==worker"]);
    }
  });

  it("takes the endpoint mode from the cluster", () => {
    for (const mode of ["vip", "dnsrr"] as const) {
      const d = desiredOf([site()], { cluster: cluster({ endpointMode: mode }) });
      expect(find(d, "service", "acme_web").shape.endpointMode).toBe(mode);
      expect(find(d, "service", "acme_db").shape.endpointMode).toBe(mode);
    }
  });

  it("publishes no ports: traffic reaches sites through Varnish on the edge network", () => {
    for (const s of ofKind(desired, "service")) expect(s.shape.ports).toEqual([]);
  });

  it("rolls web start-first with rollback, and the database stop-first (one server per data directory)", () => {
    const d = desiredOf([site()], { cluster: cluster({ update: { monitorSeconds: 30, timeoutSeconds: 300 } }) });
    expect(find(d, "service", "acme_web").shape.update).toEqual({ order: "start-first", failureAction: "rollback", monitorSeconds: 30, parallelism: 1, delaySeconds: 5 });
    expect(find(d, "service", "acme_db").shape.update).toEqual({ order: "stop-first", failureAction: "rollback", monitorSeconds: 30, parallelism: 1, delaySeconds: 0 });
  });

  it("runs web with its replicas, image, command and resources; the database as one replica", () => {
    const d = desiredOf([site({ web: { replicas: 3, command: ["apache2-foreground"], resources: { memoryBytes: 1024, nanoCpus: 2e9 } } })]);
    expect(find(d, "service", "acme_web").shape).toMatchObject({
      image: "registry.example.com/drupal-civicrm:10.3",
      replicas: 3,
      args: ["apache2-foreground"],
      memoryBytes: 1024,
      nanoCpus: 2e9,
    });
    expect(find(d, "service", "acme_db").shape).toMatchObject({ image: "mariadb:11.4", replicas: 1, args: null, memoryBytes: null, nanoCpus: null });
  });
});
