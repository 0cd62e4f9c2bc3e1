import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LABEL } from "../../../controller/desired/labels";
import type { ApiServiceSpec } from "../../../controller/engine/api-types";
import { execHost, heredocArgument, parseRelayOutput, RELAY_SCRIPT, relaySource, relayTargets } from "../../../controller/routing/relay";
import type { LiveTask } from "../../../controller/live/types";

const tasks = [
  { task: "t1", ip: "10.0.9.2", nodeId: "n1" },
  { task: "t2", ip: "10.0.9.3", nodeId: "n2" },
  { task: "t3", ip: "10.0.9.4", nodeId: "n3" },
];

describe("routing relay: the job's report", () => {
  it("one outcome per task: loaded, already active, refused; a task the job did not report failed with its last output", () => {
    const output = [
      "simulium-relay 10.0.9.2 ok s_0123456789ab changed",
      "simulium-relay 10.0.9.3 ok s_0123456789ab unchanged",
      "some noise",
    ].join("\n");
    expect(parseRelayOutput(output, tasks)).toEqual([
      { task: "t1", ip: "10.0.9.2", ok: true, vclName: "s_0123456789ab", changed: true },
      { task: "t2", ip: "10.0.9.3", ok: true, vclName: "s_0123456789ab", changed: false },
      { task: "t3", ip: "10.0.9.4", ok: false, error: "via the relay job: the relay job did not report this task: simulium-relay 10.0.9.2 ok s_0123456789ab changed | simulium-relay 10.0.9.3 ok s_0123456789ab unchanged | some noise" },
    ]);
  });

  it("an error line is the task's error (a VCL that does not compile, an admin port that refuses)", () => {
    const out = parseRelayOutput("simulium-relay 10.0.9.2 error Message from VCC-compiler: Expected ';' got '}'\n", tasks.slice(0, 1));
    expect(out).toEqual([{ task: "t1", ip: "10.0.9.2", ok: false, error: "via the relay job: Message from VCC-compiler: Expected ';' got '}'" }]);
  });
});

describe("routing relay: the job", () => {
  const varnish: ApiServiceSpec = {
    Name: "sim_varnish",
    Labels: { [LABEL.instance]: "sim", [LABEL.role]: "varnish" },
    TaskTemplate: {
      ContainerSpec: { Image: "reg:5000/varnish:7", Env: ["VARNISH_SIZE=256M"], Mounts: [{ Type: "volume", Source: "sim_varnish-state", Target: "/var/lib/varnish-state" }], Secrets: [{ SecretID: "s1", SecretName: "sim_varnish-secret-abc", File: { Name: "varnish-secret", UID: "0", GID: "0", Mode: 0o400 } }] },
      Networks: [{ Target: "admin-id" }, { Target: "edge-id" }, { Target: "tools-id" }],
    },
    EndpointSpec: { Mode: "dnsrr", Ports: [{ TargetPort: 80, PublishedPort: 8080, Protocol: "tcp", PublishMode: "host" }] },
  };

  it("runs in the Varnish image with its admin secret, on the admin network only, no state volume, on the given node", () => {
    const spec = relaySource(varnish, "admin-id", "n1");
    expect(spec.Labels).toEqual({ [LABEL.instance]: "sim" });
    expect(spec.TaskTemplate?.ContainerSpec?.Image).toBe("reg:5000/varnish:7");
    expect(spec.TaskTemplate?.ContainerSpec?.Secrets).toEqual(varnish.TaskTemplate?.ContainerSpec?.Secrets);
    expect(spec.TaskTemplate?.ContainerSpec?.Mounts).toBeUndefined();
    expect(spec.TaskTemplate?.ContainerSpec?.Env).toEqual([]);
    expect(spec.TaskTemplate?.Networks).toEqual([{ Target: "admin-id" }]);
    expect(spec.TaskTemplate?.Placement).toEqual({ Constraints: ["node.id==n1"] });
  });

  it("the VCL is sent as the CLI's here-document, with a marker the VCL does not contain", () => {
    expect(heredocArgument("vcl 4.1;\n")).toBe("<< SIMULIUM_VCL_END\nvcl 4.1;\nSIMULIUM_VCL_END");
    expect(heredocArgument("# SIMULIUM_VCL_END\nvcl 4.1;")).toBe("<< SIMULIUM_VCL_END_1\n# SIMULIUM_VCL_END\nvcl 4.1;\nSIMULIUM_VCL_END_1");
  });

  it("only tasks with an address on the admin network are relayed", () => {
    const task = (id: string, addresses: Record<string, string>): LiveTask => ({ id, serviceId: "v", slot: 1, state: "running", desiredState: "running", message: "", error: null, image: "v", fingerprint: "", constraints: [], nodeId: "n1", exitCode: null, containerId: "c", timestamp: "", addresses });
    const { relayed, unaddressed } = relayTargets([task("a", { sim_admin: "10.0.9.2" }), task("b", { sim_edge: "10.0.8.2" })], "sim_admin");
    expect(relayed).toEqual([{ task: "a", ip: "10.0.9.2", nodeId: "n1" }]);
    expect(unaddressed.map((t) => t.id)).toEqual(["b"]);
  });
});

describe("routing relay: the script", () => {
  // A stand-in varnishadm on PATH: every compile (vcl.inline) takes a second, as a real one
  // does at a few dozen sites; every call is logged as `<address> <command>`.
  const fake = `#!/bin/sh
addr="$4"; shift 6
echo "$addr $1" >>"$RELAY_LOG"
case "$1" in
  vcl.list) printf 'active   auto  warm  0  boot\\n' ;;
  vcl.inline) sleep 1 ;;
esac
exit 0
`;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "simulium-relay-"));
    writeFileSync(path.join(dir, "varnishadm"), fake, { mode: 0o755 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("pushes to every address at once: three compiles of a second each take about one second, and each task loads and activates the VCL", () => {
    const log = path.join(dir, "calls.log");
    const started = Date.now();
    const r = spawnSync("sh", ["-c", RELAY_SCRIPT, "relay", "3", "0123456789ab", "vcl 4.1;", "10.0.9.2", "10.0.9.3", "10.0.9.4"], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}`, RELAY_LOG: log },
    });
    const seconds = (Date.now() - started) / 1000;
    expect(r.status).toBe(0);
    expect(parseRelayOutput(r.stdout, tasks).map((o) => [o.ip, o.ok, o.changed])).toEqual([
      ["10.0.9.2", true, true],
      ["10.0.9.3", true, true],
      ["10.0.9.4", true, true],
    ]);
    const calls = readFileSync(log, "utf8");
    for (const t of tasks) {
      expect(calls).toContain(`${t.ip}:6082 vcl.inline`);
      expect(calls).toContain(`${t.ip}:6082 vcl.use`);
    }
    // One after the other would be three seconds and more.
    expect(seconds).toBeLessThan(2.5);
  });
});

describe("routing relay: by exec where the engine runs a Varnish task", () => {
  const task = (id: string, nodeId: string, containerId: string | null, state = "running"): LiveTask => ({ id, serviceId: "v", slot: 1, state, desiredState: "running", message: "", error: null, image: "v", fingerprint: "", constraints: [], nodeId, exitCode: null, containerId, timestamp: "", addresses: {} });

  it("the running Varnish task on the engine's own node; none on another node, starting, or off the swarm", () => {
    const varnish = [task("a", "n2", "c2"), task("b", "n1", "c1-old", "starting"), task("c", "n1", "c1")];
    expect(execHost(varnish, "n1")).toBe("c1");
    expect(execHost(varnish, "n3")).toBeNull();
    expect(execHost([task("b", "n1", "c1-old", "starting")], "n1")).toBeNull();
    expect(execHost(varnish, null)).toBeNull();
  });
});
