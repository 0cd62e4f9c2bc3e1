import {
  authCommand,
  CliProtocolError,
  encodeCommand,
  encodeHeredoc,
  parseBackendList,
  parseVclList,
  takeResponses,
} from "../../../controller/varnish/admin-protocol";

function frame(status: number, body: string): Buffer {
  const len = Buffer.byteLength(body);
  return Buffer.from(`${String(status).padEnd(3)} ${String(len).padEnd(8)}\n${body}\n`);
}

describe("admin protocol framing", () => {
  it("splits complete responses and keeps the rest for the next chunk", () => {
    const all = Buffer.concat([frame(200, "PONG 1 1.0"), frame(106, "Message from VCC-compiler:\nbad"), frame(200, "tail")]);
    const cut = all.length - 3;
    const first = takeResponses(all.subarray(0, cut));
    expect(first.responses).toEqual([
      { status: 200, body: "PONG 1 1.0" },
      { status: 106, body: "Message from VCC-compiler:\nbad" },
    ]);
    const second = takeResponses(Buffer.concat([first.rest, all.subarray(cut)]));
    expect(second.responses).toEqual([{ status: 200, body: "tail" }]);
    expect(second.rest.length).toBe(0);
  });

  it("counts the body length in bytes, not characters", () => {
    const { responses } = takeResponses(Buffer.concat([frame(200, "Café ✓"), frame(200, "next")]));
    expect(responses.map((r) => r.body)).toEqual(["Café ✓", "next"]);
  });

  it("rejects a malformed header", () => {
    expect(() => takeResponses(Buffer.from("HTTP/1.1 200 OK\r\n"))).toThrow(CliProtocolError);
  });
});

describe("authentication", () => {
  it("answers the challenge as varnish-cli(7) documents (secret file bytes as-is, newline included)", () => {
    // The worked example of varnish-cli(7): secret file "foo\n".
    const cmd = authCommand("ixslvvxrgkjptxmcgnnsdxsvdmvfympg\n\nAuthentication required.\n", Buffer.from("foo\n"));
    expect(cmd).toBe("auth 455ce847f0073c7ab3b1465f74507b75d3dc064c1e7de3b71e00de9092fdc89a\n");
  });

  it("depends on the trailing newline of the secret", () => {
    const body = "ixslvvxrgkjptxmcgnnsdxsvdmvfympg\n\nAuthentication required.\n";
    expect(authCommand(body, Buffer.from("foo"))).not.toBe(authCommand(body, Buffer.from("foo\n")));
  });

  it("refuses a challenge that is not one", () => {
    expect(() => authCommand("hello world\n", Buffer.from("x"))).toThrow(CliProtocolError);
  });
});

describe("command encoding", () => {
  it("writes plain commands on one line", () => {
    expect(encodeCommand("vcl.use", "s_0123456789ab")).toBe("vcl.use s_0123456789ab\n");
  });

  it.each([["a b"], ['x"'], ["x\nping"], [""]])("refuses argument %j that would need quoting", (arg) => {
    expect(() => encodeCommand("vcl.use", arg)).toThrow(CliProtocolError);
  });

  it("wraps a VCL in a here-document whose marker does not occur in it", () => {
    const vcl = "vcl 4.1;\n# SIMULIUM_VCL_END and SIMULIUM_VCL_END_1\n";
    const text = encodeHeredoc("vcl.inline", ["s_1"], vcl);
    expect(text).toBe(`vcl.inline s_1 << SIMULIUM_VCL_END_2\n${vcl}SIMULIUM_VCL_END_2\n`);
  });

  it("ends the body with a newline before the marker", () => {
    expect(encodeHeredoc("vcl.inline", ["s_1"], "vcl 4.1;")).toBe("vcl.inline s_1 << SIMULIUM_VCL_END\nvcl 4.1;\nSIMULIUM_VCL_END\n");
  });
});

describe("JSON answers", () => {
  it("parses vcl.list -j in load order", () => {
    const body = `[ 2, ["vcl.list", "-j"], 1795604237.040,
  { "status": "available", "state": "auto", "temperature": "cold", "busy": 0, "name": "boot" },
  { "status": "active", "state": "auto", "temperature": "warm", "busy": 2, "name": "s_0123456789ab" }
]`;
    expect(parseVclList(body)).toEqual([
      { name: "boot", status: "available", state: "auto", temperature: "cold", busy: 0 },
      { name: "s_0123456789ab", status: "active", state: "auto", temperature: "warm", busy: 2 },
    ]);
  });

  it("reads which configuration a label points at (vcl.list -j of Varnish 7.1)", () => {
    const body = `[ 2, ["vcl.list", "-j"], 1796042221.773,
  { "status": "available", "state": "auto", "temperature": "warm", "busy": 0, "name": "u_0123456789ab", "labels": 1 },
  { "status": "active", "state": "auto", "temperature": "warm", "busy": 0, "name": "s_ba9876543210" },
  { "status": "available", "state": "label", "temperature": "warm", "busy": 0, "name": "l_acme", "label": { "name": "u_0123456789ab" } }
]`;
    expect(parseVclList(body).map((v) => [v.name, v.target])).toEqual([
      ["u_0123456789ab", undefined],
      ["s_ba9876543210", undefined],
      ["l_acme", "u_0123456789ab"],
    ]);
  });

  it("rejects a vcl.list entry with an unknown status", () => {
    expect(() => parseVclList('[2, ["vcl.list"], 1, {"status":"weird","state":"auto","temperature":"warm","name":"x"}]')).toThrow(
      /unknown status/,
    );
  });

  it("parses backend.list -j -p with probe health", () => {
    const body = `[ 3, ["backend.list", "-j", "-p"], 1795604240.746,
  {
    "s_1.b_acme_0": { "type": "backend", "admin_health": "probe", "probe_message": [3, 5, "healthy"], "last_change": 1 },
    "s_1.b_acme_1": { "type": "backend", "admin_health": "probe", "probe_message": [1, 5, "sick"], "last_change": 1 },
    "s_1.d_acme": { "type": "round-robin", "admin_health": "probe", "probe_message": "healthy", "last_change": 1 }
  }
]`;
    expect(parseBackendList(body)).toEqual([
      { vcl: "s_1", name: "b_acme_0", type: "backend", adminHealth: "probe", health: "healthy", probe: { good: 3, window: 5 } },
      { vcl: "s_1", name: "b_acme_1", type: "backend", adminHealth: "probe", health: "sick", probe: { good: 1, window: 5 } },
      { vcl: "s_1", name: "d_acme", type: "round-robin", adminHealth: "probe", health: "healthy" },
    ]);
  });

  it("parses an empty backend list", () => {
    expect(parseBackendList('[ 3, ["backend.list", "-j", "-p"], 1.0,\n  {\n  \n  }\n]')).toEqual([]);
  });

  it("reports a non-JSON answer as a protocol error", () => {
    expect(() => parseVclList("active auto warm 0 boot")).toThrow(CliProtocolError);
  });
});
