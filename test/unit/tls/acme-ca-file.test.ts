import { generateKeyPairSync } from "node:crypto";
import { orderCertificate } from "../../../controller/tls/acme";

describe("orderCertificate with an unreadable acme.caFile", () => {
  it("fails the order with the file named, instead of throwing out of the reconcile", async () => {
    // The demo's caFile is written by harness/demo-pebble.sh: missing when Pebble could not start.
    const key = Buffer.from(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }));
    const outcome = await orderCertificate({ directory: "https://127.0.0.1:9/dir", email: "ops@example.org", caFile: "/nonexistent/simulium/pebble-listener.pem" }, key, ["a.example.org"]);
    expect(outcome).toEqual({ ok: false, error: "acme.caFile /nonexistent/simulium/pebble-listener.pem cannot be read (ENOENT)" });
  });
});
