import { readFileSync } from "node:fs";
import { join } from "node:path";
import { engineSocket, EngineIdentityError, ENGINE_PIDFILE, listeningInodes } from "../../support/engine";

const root = join(__dirname, "..", "..", "..");

describe("finding the harness's engine (test/support/engine.ts)", () => {
  it("uses the pid file harness/engine.sh starts dockerd with", () => {
    const script = readFileSync(join(root, "harness", "engine.sh"), "utf8");
    expect(/^engine_pidfile=(\S+)$/m.exec(script)?.[1]).toBe(ENGINE_PIDFILE);
    expect(script).toMatch(/setsid dockerd --pidfile "\$engine_pidfile"/);
  });

  it("reads the listening sockets bound at a path from /proc/net/unix, not connected ones or others", () => {
    const table = [
      "Num       RefCount Protocol Flags    Type St Inode Path",
      "000000000ad7f636: 00000002 00000000 00010000 0001 01 95530 /run/containerd/s/0b7f80",
      "00000000ebddf7d6: 00000002 00000000 00010000 0001 01  7446 /var/run/docker.sock",
      "00000000ebddf7d7: 00000003 00000000 00000000 0001 03  7999 /var/run/docker.sock",
      "00000000ebddf7d8: 00000002 00000000 00010000 0001 01  8123 /tmp/other/docker.sock",
      "00000000ebddf7d9: 00000003 00000000 00000000 0001 03  8124",
    ].join("\n");
    expect(listeningInodes(table, (p) => p === "/var/run/docker.sock")).toEqual([7446]);
    expect(listeningInodes(table, (p) => p === "/tmp/other/docker.sock")).toEqual([8123]);
    expect(listeningInodes(table, (p) => p === "/nowhere")).toEqual([]);
  });

  it("talks to the socket DOCKER_HOST names, and refuses a remote engine", () => {
    expect(engineSocket({})).toBe("/var/run/docker.sock");
    expect(engineSocket({ DOCKER_HOST: "unix:///tmp/e/docker.sock" })).toBe("/tmp/e/docker.sock");
    expect(() => engineSocket({ DOCKER_HOST: "tcp://10.0.0.1:2375" })).toThrow(EngineIdentityError);
  });
});
