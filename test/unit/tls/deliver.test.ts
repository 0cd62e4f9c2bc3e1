import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { ApiServiceSpec } from "../../../controller/engine/api-types";
import type { LiveTask } from "../../../controller/live/types";
import { certGeneration, DELIVER_SCRIPT, deliveryError, deliveryJobSpec, deliveryTargets } from "../../../controller/tls/deliver";

const run = promisify(execFile);

const task = (id: string, nodeId: string | null, state = "running", desiredState = "running"): LiveTask => ({
  id,
  serviceId: "svc",
  slot: 1,
  state,
  desiredState,
  message: "",
  error: null,
  image: "simulium/tls:local",
  fingerprint: "",
  constraints: [],
  nodeId,
  exitCode: null,
  containerId: null,
  timestamp: "",
  addresses: {},
});

describe("certGeneration", () => {
  it("names the set of certificate secrets, whatever their order; any change is another generation", () => {
    expect(certGeneration(["a_tls-1", "b_tls-2"])).toBe(certGeneration(["b_tls-2", "a_tls-1"]));
    expect(certGeneration(["a_tls-1", "b_tls-2"])).not.toBe(certGeneration(["a_tls-3", "b_tls-2"]));
    expect(certGeneration(["a_tls-1", "b_tls-2"])).not.toBe(certGeneration(["a_tls-1"]));
  });
});

describe("deliveryTargets", () => {
  it("the running tasks without this generation, by node; none once the record has them", () => {
    const tasks = [task("t1", "n1"), task("t2", "n2"), task("t3", "n1"), task("old", "n2", "shutdown", "shutdown"), task("pending", null, "pending")];
    expect([...deliveryTargets(tasks, undefined, "g1")]).toEqual([["n1", ["t1", "t3"]], ["n2", ["t2"]]]);
    expect([...deliveryTargets(tasks, { generation: "g1", tasks: ["t1", "t2", "t3"] }, "g1")]).toEqual([]);
    // A restarted task (a new id) gets it; a new generation goes to every task.
    expect([...deliveryTargets([...tasks, task("t4", "n2")], { generation: "g1", tasks: ["t1", "t2", "t3"] }, "g1")]).toEqual([["n2", ["t4"]]]);
    expect([...deliveryTargets(tasks, { generation: "g1", tasks: ["t1", "t2", "t3"] }, "g2")]).toEqual([["n1", ["t1", "t3"]], ["n2", ["t2"]]]);
  });
});

describe("deliveryJobSpec", () => {
  const hitch: ApiServiceSpec = {
    Name: "i_tls",
    Labels: { "simulium.instance": "i", "simulium.role": "tls", "simulium.commit": "abc" },
    TaskTemplate: {
      ContainerSpec: {
        Image: "simulium/tls:local",
        Args: ["--backend=[i_varnish]:8443"],
        Env: ["HITCH_FRONTEND=[*]:443"],
        Mounts: [{ Type: "volume", Source: "i_tls-certs", Target: "/etc/hitch/certs", VolumeOptions: { DriverConfig: { Name: "local", Options: { type: "tmpfs", device: "tmpfs" } } } }],
        Sysctls: { "net.ipv4.tcp_migrate_req": "1" },
      },
      Networks: [{ Target: "net-tls" }],
    },
    Mode: { Replicated: { Replicas: 2 } },
    EndpointSpec: { Mode: "dnsrr", Ports: [{ Protocol: "tcp", TargetPort: 443, PublishedPort: 443, PublishMode: "host" }] },
  };

  it("hitch's image and certificate volume, the secrets root-only, pinned to the node, on no network and no port", () => {
    const spec = deliveryJobSpec(hitch, [{ secretId: "s1", secretName: "a_tls-0123456789", target: "a.pem" }], "node-1", "g1", new Date("2026-01-01T00:00:00Z"));
    const c = spec.TaskTemplate?.ContainerSpec;
    expect(spec.Name).toMatch(/^i_tls-deliver-[0-9a-f]{6}$/);
    expect(spec.Labels).toEqual({ "simulium.instance": "i", "simulium.role": "job", "simulium.job-deadline": "2026-01-01T00:00:00.000Z" });
    expect(spec.Mode).toEqual({ ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
    expect(c?.Image).toBe("simulium/tls:local");
    expect(c?.Command).toEqual(["sh", "-c", DELIVER_SCRIPT, "deliver"]);
    expect(c?.Args).toEqual(["g1", "a.pem"]);
    expect(c?.Env).toEqual([]);
    expect(c?.Mounts).toEqual(hitch.TaskTemplate?.ContainerSpec?.Mounts);
    expect(c?.Secrets).toEqual([{ File: { Name: "a.pem", UID: "0", GID: "0", Mode: 0o400 }, SecretID: "s1", SecretName: "a_tls-0123456789" }]);
    expect(spec.TaskTemplate?.Networks).toEqual([]);
    expect(spec.TaskTemplate?.Placement).toEqual({ Constraints: ["node.id==node-1"] });
    expect(spec.EndpointSpec).toEqual({ Mode: "dnsrr", Ports: [] });
  });
});

describe("deliveryError", () => {
  it("null for this generation's success line, else what the job said", () => {
    expect(deliveryError("noise\nsimulium-tls delivered g1\n", "g1")).toBeNull();
    expect(deliveryError("simulium-tls delivered g0\n", "g1")).toBe("the delivery job said nothing: simulium-tls delivered g0");
    expect(deliveryError("simulium-tls error cannot write a.pem\n", "g1")).toBe("cannot write a.pem");
    expect(deliveryError("", "g1")).toBe("the delivery job said nothing: (no output)");
  });
});

describe("DELIVER_SCRIPT (run by sh)", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "simulium-deliver-"));
    mkdirSync(path.join(dir, "secrets"));
    mkdirSync(path.join(dir, "certs"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const deliver = (args: readonly string[], tries = 60) =>
    run("sh", ["-c", DELIVER_SCRIPT, "deliver", ...args], { env: { PATH: process.env.PATH ?? "", SECRETS_DIR: path.join(dir, "secrets"), CERT_DIR: path.join(dir, "certs"), WAIT_TRIES: String(tries) } });
  const certs = () => readdirSync(path.join(dir, "certs")).sort();

  it("copies the certificates in owner-only, removes the sites no longer served, then waits for the terminator's reload", async () => {
    writeFileSync(path.join(dir, "secrets", "a.pem"), "A2");
    writeFileSync(path.join(dir, "secrets", "b.pem"), "B1");
    writeFileSync(path.join(dir, "certs", "a.pem"), "A1");
    writeFileSync(path.join(dir, "certs", "gone.pem"), "G");
    // The terminator's entrypoint, played by the test: it acknowledges the generation.
    const ack = setInterval(() => {
      try {
        if (readFileSync(path.join(dir, "certs", ".generation"), "utf8").trim() === "g2") writeFileSync(path.join(dir, "certs", ".loaded"), "g2\n");
      } catch {
        // not written yet
      }
    }, 50);
    try {
      const out = await deliver(["g2", "a.pem", "b.pem"]);
      expect(out.stdout.trim()).toBe("simulium-tls delivered g2");
    } finally {
      clearInterval(ack);
    }
    expect(certs()).toEqual([".generation", ".loaded", "a.pem", "b.pem"]);
    expect(readFileSync(path.join(dir, "certs", "a.pem"), "utf8")).toBe("A2");
    expect(statSync(path.join(dir, "certs", "b.pem")).mode & 0o777).toBe(0o600);
  });

  it("fails, naming why, when the terminator does not acknowledge (an image without the entrypoint)", async () => {
    writeFileSync(path.join(dir, "secrets", "a.pem"), "A");
    const err = await deliver(["g1", "a.pem"], 2).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stdout).toMatch(/^simulium-tls error hitch did not reload within 2 tries/);
  });
});
