import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import {
  cleanupNamespace,
  docker,
  execInService,
  freePort,
  httpGet,
  images,
  namespace,
  taskContainerId,
  waitFor,
  type Namespace,
} from "../harness";

// The harness end to end on the real swarm: labelled objects come and go, the local web image
// answers HTTP on a host-mode port and reaches MariaDB over an overlay network with a secret.
const engine = docker();
const img = images();
const scratch = namespace();
const bystander = namespace();
const site = namespace();

afterAll(async () => {
  const results = await Promise.allSettled([scratch, bystander, site].map((ns) => cleanupNamespace(engine, ns)));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length > 0) throw new Error(failed.map((f) => String(f.reason)).join("\n"));
});

describe("cleanupNamespace", () => {
  it("removes the namespace's service, secret, volume and network, and nothing of another namespace", async () => {
    const secret = await engine.createSecret({
      Name: `${scratch.name}_token`,
      Labels: { ...scratch.labels },
      Data: Buffer.from(randomBytes(16).toString("hex")).toString("base64"),
    });
    const volume = await engine.createVolume({ Name: `${scratch.name}_data`, Labels: { ...scratch.labels } });
    const network = await engine.createNetwork({
      Name: `${scratch.name}_default`,
      Driver: "overlay",
      Attachable: true,
      Labels: { ...scratch.labels },
    });
    const service = await engine.createService({
      Name: `${scratch.name}_idle`,
      Labels: { ...scratch.labels },
      TaskTemplate: {
        ContainerSpec: {
          Image: img.busybox,
          Command: ["sleep", "3600"],
          // sleep as pid 1 ignores SIGTERM; do not wait the default 10 s for it.
          StopGracePeriod: 1_000_000_000,
          Secrets: [secretRef(secret.id, `${scratch.name}_token`, "token")],
          Mounts: [{ Type: "volume", Source: volume.name, Target: "/data" }],
        },
        Networks: [{ Target: network.id }],
      },
      EndpointSpec: { Mode: "dnsrr" },
    });
    const kept = await engine.createSecret({
      Name: `${bystander.name}_kept`,
      Labels: { ...bystander.labels },
      Data: Buffer.from("kept").toString("base64"),
    });
    // Cleanup must wait for the running task, which holds the secret, volume and network.
    await waitFor(() => taskContainerId(engine, `${scratch.name}_idle`).then(Boolean), {
      timeout: 60_000,
      what: "the idle task to run",
    });

    const report = await cleanupNamespace(engine, scratch);

    expect(report.services).toEqual([`${scratch.name}_idle`]);
    expect(report.secrets).toEqual([`${scratch.name}_token`]);
    expect(report.volumes).toEqual([`${scratch.name}_data`]);
    expect(report.networks).toEqual([`${scratch.name}_default`]);
    expect(await labelled(engine, scratch)).toEqual({ services: 0, secrets: 0, volumes: 0, networks: 0 });
    await expect(engine.getService(service.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await engine.getSecret(kept.id).inspect()).Spec?.Name).toBe(`${bystander.name}_kept`);
  });

  it("refuses a filter that is not key=value", async () => {
    await expect(cleanupNamespace(engine, "simulium.test")).rejects.toThrow(/key=value/);
  });
});

describe("web and mariadb images on the swarm", () => {
  const password = randomBytes(18).toString("base64url");
  const siteName = `smoke-${site.name}`;
  const web = `${site.name}_web`;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    const secret = (name: string, value: string) =>
      engine.createSecret({
        Name: `${site.name}_${name}`,
        Labels: { ...site.labels },
        Data: Buffer.from(value).toString("base64"),
      });
    const dbPassword = await secret("db-password", password);
    const rootPassword = await secret("db-root-password", randomBytes(18).toString("base64url"));
    const network = await engine.createNetwork({
      Name: `${site.name}_default`,
      Driver: "overlay",
      Attachable: true,
      Labels: { ...site.labels },
    });
    const data = await engine.createVolume({ Name: `${site.name}_db-data`, Labels: { ...site.labels } });

    await engine.createService({
      Name: `${site.name}_db`,
      Labels: { ...site.labels },
      TaskTemplate: {
        ContainerSpec: {
          Image: img.mariadb,
          Env: [
            "MARIADB_DATABASE=smoke",
            "MARIADB_USER=smoke",
            "MARIADB_PASSWORD_FILE=/run/secrets/db-password",
            "MARIADB_ROOT_PASSWORD_FILE=/run/secrets/db-root-password",
          ],
          Secrets: [
            secretRef(dbPassword.id, `${site.name}_db-password`, "db-password"),
            secretRef(rootPassword.id, `${site.name}_db-root-password`, "db-root-password"),
          ],
          Mounts: [{ Type: "volume", Source: data.name, Target: "/var/lib/mysql" }],
        },
        Networks: [{ Target: network.id }],
      },
      EndpointSpec: { Mode: "dnsrr" },
    });
    await engine.createService({
      Name: web,
      Labels: { ...site.labels },
      TaskTemplate: {
        ContainerSpec: {
          Image: img.web,
          Env: [
            `SIMULIUM_SITE=${siteName}`,
            "SITE_VERSION=1",
            `DB_HOST=${site.name}_db`,
            "DB_NAME=smoke",
            "DB_USER=smoke",
            "DB_PASSWORD_FILE=/run/secrets/db-password",
          ],
          Secrets: [secretRef(dbPassword.id, `${site.name}_db-password`, "db-password")],
        },
        Networks: [{ Target: network.id }],
      },
      EndpointSpec: {
        Mode: "dnsrr",
        Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: port, PublishMode: "host" }],
      },
    });
  });

  it("serves the site page with a working database connection", async () => {
    const page = await waitFor(
      async () => {
        const res = await httpGet("127.0.0.1", port, "/");
        return res.body.includes("db: ok") ? res : undefined;
      },
      { timeout: 150_000, interval: 1_000, what: `db: ok on http://127.0.0.1:${port}/` },
    );

    expect(page.status).toBe(200);
    expect(page.body).toContain(`<title>${siteName}</title>`);
    expect(page.body).toContain(`site: ${siteName}\n`);
    expect(page.body).toContain("version: 1\n");
    expect(page.body).toMatch(/db: ok \(10\.11\.\d+-MariaDB[^)]*\)/);
    const container = await taskContainerId(engine, web);
    expect(page.body).toContain(`host: ${container.slice(0, 12)}\n`);
    expect(page.body).not.toContain(password);
  });

  it("reports database readiness on /healthz.php?db=1", async () => {
    const res = await httpGet("127.0.0.1", port, "/healthz.php?db=1");
    expect(res).toMatchObject({ status: 200, body: "ok\n" });
  });

  it("runs commands in the web task with the service's environment", async () => {
    const env = await execInService(engine, web, ["php", "-r", "echo getenv('SIMULIUM_SITE');"]);
    expect(env).toEqual({ exitCode: 0, stdout: siteName, stderr: "" });

    const query = await execInService(engine, web, [
      "sh",
      "-c",
      'mariadb -h "$DB_HOST" -u "$DB_USER" --password="$(cat "$DB_PASSWORD_FILE")" "$DB_NAME" -N -e "SELECT 6*7"',
    ]);
    expect(query).toMatchObject({ exitCode: 0, stdout: "42\n" });

    const failing = await execInService(engine, web, ["sh", "-c", "echo oops >&2; exit 3"]);
    expect(failing).toEqual({ exitCode: 3, stdout: "", stderr: "oops\n" });
  });
});

function secretRef(id: string, name: string, file: string) {
  return { SecretID: id, SecretName: name, File: { Name: file, UID: "0", GID: "0", Mode: 0o444 } };
}

async function labelled(engine: Docker, ns: Namespace): Promise<Record<string, number>> {
  const filters = JSON.stringify({ label: [ns.filter] });
  return {
    services: (await engine.listServices({ filters })).length,
    secrets: (await engine.listSecrets({ filters })).length,
    volumes: ((await engine.listVolumes({ filters })).Volumes ?? []).length,
    networks: (await engine.listNetworks({ filters })).length,
  };
}
