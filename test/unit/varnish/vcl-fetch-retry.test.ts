import { renderVcl } from "../../../controller/varnish/vcl";
import { input, site, sub } from "./fixtures";

// A task stopped by a rolling update stays in the VCL until the next sync: its refused
// connection must send the visitor to the site's next task, not to a 503.
describe("renderVcl: a failed fetch is retried on the next backend", () => {
  const vcl = renderVcl(input([site("acme", { backends: [{ host: "10.0.1.5", port: 80 }, { host: "10.0.1.6", port: 80 }] })]));
  const error = sub(vcl, "vcl_backend_error");

  it("retries GET and HEAD only (a POST may have reached Drupal), at most twice", () => {
    expect(error).toContain('if ((bereq.method == "GET" || bereq.method == "HEAD") && bereq.retries < 2 && now - bereq.time < 6s) {\n    return (retry);\n  }');
  });

  it("bounds the retry by time to connection failures: a page past its first-byte timeout is not fetched again", () => {
    // connect_timeout 5 s; a retry starts only within connect_timeout + 1 s of the first attempt.
    expect(vcl).toContain(".connect_timeout = 5s;");
    expect(error).toMatch(/now - bereq\.time < 6s/);
  });

  it("still ends in the plain 503 page when every attempt failed", () => {
    expect(error.indexOf("return (retry);")).toBeLessThan(error.indexOf("set beresp.status = 503;"));
  });
});
