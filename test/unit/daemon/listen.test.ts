import { parseListen } from "../../../controller/daemon/listen";

describe("parseListen", () => {
  it.each([
    ["127.0.0.1:9090", { host: "127.0.0.1", port: 9090 }],
    ["0.0.0.0:80", { host: "0.0.0.0", port: 80 }],
    ["[::1]:9090", { host: "::1", port: 9090 }],
    [":9090", { host: "127.0.0.1", port: 9090 }],
    ["localhost:0", { host: "localhost", port: 0 }],
  ])("%s", (value, expected) => {
    expect(parseListen(value)).toEqual(expected);
  });

  it.each(["9090", "127.0.0.1", "127.0.0.1:99999", "host:port", "::1:9090"])("rejects %s", (value) => {
    expect(() => parseListen(value)).toThrow(/invalid listen address/);
  });
});
