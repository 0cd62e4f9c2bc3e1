import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { connectDocker } from "../../controller/engine/docker";
import { freePort, httpGet } from "../harness/http";
import { buildControllerImage, CONTROLLER_IMAGE, run } from "../support/controller-image";
import { clusterYaml } from "../support/manifests";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * The controller image as an operator builds and runs it (support/controller-image.ts), then
 * the container against the real engine through the mounted socket, as a non-root user.
 */
const docker = connectDocker();
const instance = testInstance("cimg");
const tag = CONTROLLER_IMAGE;
const container = `${instance}-controller`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-controller-image-"));
const socket = "/var/run/docker.sock";
let buildSeconds = 0;

beforeAll(() => {
  buildSeconds = buildControllerImage();
  process.stderr.write(`[controller-image] built ${tag} in ${buildSeconds.toFixed(1)} s\n`);
}, 600_000);

afterAll(async () => {
  try {
    run("docker", ["rm", "-f", container]);
  } catch {
    // never started
  }
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

test("the image is multi-stage output: non-root, healthcheck, entrypoint, production dependencies only", () => {
  const config = JSON.parse(run("docker", ["image", "inspect", "-f", "{{json .Config}}", tag])) as {
    User: string;
    Entrypoint: string[];
    Cmd: string[];
    Healthcheck?: { Test: string[] };
  };
  expect(config.User).toBe("simulium");
  expect(config.Entrypoint).toEqual(["node", "/app/dist/controller/cli/main.js"]);
  expect(config.Cmd[0]).toBe("run");
  expect(config.Healthcheck?.Test.join(" ")).toContain("/healthz");
  const listing = run("docker", ["run", "--rm", "--entrypoint", "sh", tag, "-c", "ls /app/node_modules; ls /app; ls -d /tmp/npm-cache 2>&1 || true"]);
  expect(listing).toContain("dockerode");
  expect(listing).not.toMatch(/^typescript$/m);
  expect(listing).not.toMatch(/^jest$/m);
  expect(listing).not.toMatch(/^controller$/m);
  expect(listing).toContain("No such file");
  const size = Number(run("docker", ["image", "inspect", "-f", "{{.Size}}", tag]));
  process.stderr.write(`[controller-image] size ${(size / 1e6).toFixed(0)} MB\n`);
});

test("--help lists the commands", () => {
  const help = run("docker", ["run", "--rm", tag, "--help"]);
  for (const command of ["plan", "apply", "status", "validate", "run", "history"]) {
    expect(help).toMatch(new RegExp(`^  ${command} `, "m"));
  }
});

test("run: the container syncs a mounted repository through the socket as non-root and becomes healthy", async () => {
  const repo = path.join(root, "repo");
  mkdirSync(repo);
  writeFileSync(path.join(repo, "simulium.yaml"), clusterYaml(instance));
  mkdirSync(path.join(repo, "sites"));
  const port = await freePort();
  const socketGid = statSync(socket).gid;
  const token = "controller-image-api-token-5e6f";
  // Readable by the container's non-root user; the stack file mounts a Swarm secret instead.
  writeFileSync(path.join(root, "api-token"), `${token}\n`, { mode: 0o644 });
  run("docker", [
    "run", "-d", "--name", container, "--label", `simulium.instance=${instance}`,
    "--user", `simulium:${socketGid}`,
    "-v", `${socket}:${socket}`, "-v", `${repo}:/repo:ro`, "-v", `${path.join(root, "api-token")}:/run/secrets/api-token:ro`,
    "-p", `127.0.0.1:${port}:9090`,
    // The image's 15 s interval is for production; the test wants the verdict sooner.
    "--health-interval", "2s", "--health-start-period", "2s",
    tag, "run", "--repo", "/repo", "--listen", "0.0.0.0:9090", "--log-format", "json", "--api-token-file", "/run/secrets/api-token",
  ]);
  const started = Date.now();
  await waitFor(async () => (await httpGet("127.0.0.1", port, "/healthz").catch(() => undefined))?.status === 200, "/healthz to answer 200", 60_000, 500);
  // /readyz needs a successful sync: the engine answered through the socket to a non-root user.
  await waitFor(async () => (await httpGet("127.0.0.1", port, "/readyz").catch(() => undefined))?.status === 200, "/readyz to answer 200", 90_000, 500);
  await waitFor(async () => run("docker", ["inspect", "-f", "{{.State.Health.Status}}", container]).trim() === "healthy", "the HEALTHCHECK to report healthy", 60_000, 1000);
  process.stderr.write(`[controller-image] healthy ${((Date.now() - started) / 1000).toFixed(1)} s after start\n`);
  expect(run("docker", ["exec", container, "id", "-u"]).trim()).toBe("10001");
  expect((await httpGet("127.0.0.1", port, "/metrics")).status).toBe(401);
  const metrics = await httpGet("127.0.0.1", port, "/metrics", { Authorization: `Bearer ${token}` });
  expect(metrics.status).toBe(200);
});

test("the stack file deploys the controller on a manager, with the socket, external secrets and the admin network (never the edge)", () => {
  const env = { ...process.env, SIMULIUM_INSTANCE: "prod", SIMULIUM_REPO: "git@git.example.org:ops/sites.git", DOCKER_GID: "998" };
  const rendered = parse(run("docker", ["stack", "config", "-c", "sites.example/simulium-stack.yml"], env)) as StackConfig;
  const svc = rendered.services.controller;
  expect(svc.deploy.placement.constraints).toEqual(["node.role == manager"]);
  expect(svc.deploy.replicas).toBe(1);
  expect(svc.user).toBe("10001:998");
  expect(svc.volumes).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }),
      expect.objectContaining({ type: "volume", target: "/var/lib/simulium" }),
    ]),
  );
  expect(svc.command).toEqual(
    expect.arrayContaining([
      "git@git.example.org:ops/sites.git",
      "/run/secrets/simulium-deploy-key",
      "/run/secrets/simulium-webhook-secret",
      "/run/secrets/simulium-known-hosts",
      "--api-token-file",
      "/run/secrets/simulium-api-token",
    ]),
  );
  expect(svc.ports).toEqual([expect.objectContaining({ target: 9090, published: 9090, mode: "host" })]);
  // The sites' web tasks are all on <instance>_edge: the controller is not.
  expect(rendered.networks).toEqual({ admin: { name: "prod_admin", external: true } });
  expect(Object.keys(svc.networks)).toEqual(["admin"]);
  expect(rendered.secrets).toHaveProperty("simulium-api-token");
  expect(Object.values(rendered.secrets).every((s) => s.external === true)).toBe(true);
  // Longer than the default update timeout (300 s), so SIGTERM lets an apply finish.
  expect(seconds(svc.stop_grace_period)).toBeGreaterThan(300);
  // A missing setting is an error at deploy time, not a controller pointed at nothing.
  const { SIMULIUM_REPO: _omitted, ...withoutRepo } = env;
  expect(() => run("docker", ["stack", "config", "-c", "sites.example/simulium-stack.yml"], withoutRepo)).toThrow(/SIMULIUM_REPO/);
});

interface StackConfig {
  services: {
    controller: {
      user: string;
      command: string[];
      stop_grace_period: string;
      ports: unknown[];
      volumes: unknown[];
      networks: Record<string, unknown>;
      deploy: { replicas: number; placement: { constraints: string[] } };
    };
  };
  networks: Record<string, unknown>;
  secrets: Record<string, { external?: boolean }>;
}

/** Compose durations as `docker stack config` prints them, e.g. "5m30s". */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1), 0);
}
