import { InvalidArgumentError } from "commander";
import { dashboardUrl } from "../../../controller/cli/run";

describe("simulium run --dashboard-url", () => {
  it("takes https, plain http only to loopback (reviewers sign in there with the API token), without a trailing slash", () => {
    expect(dashboardUrl("https://simulium.example.org/")).toBe("https://simulium.example.org");
    expect(dashboardUrl("https://ops.example.org/simulium//")).toBe("https://ops.example.org/simulium");
    expect(dashboardUrl("http://127.0.0.1:9090")).toBe("http://127.0.0.1:9090");
    expect(dashboardUrl("http://localhost:9090/")).toBe("http://localhost:9090");
    expect(() => dashboardUrl("http://simulium.example.org")).toThrow(/--dashboard-url http:\/\/simulium\.example\.org is not https/);
    expect(() => dashboardUrl("ftp://simulium.example.org")).toThrow(InvalidArgumentError);
    expect(() => dashboardUrl("simulium.example.org")).toThrow(/is not a URL/);
  });

  it("a base URL only: no credentials, query or fragment to be glued before /dashboard/plan/<sha>", () => {
    for (const bad of ["https://user:pw@simulium.example.org", "https://simulium.example.org/?next=x", "https://simulium.example.org/#x", "https://simulium.example.org/?"]) {
      expect(() => dashboardUrl(bad)).toThrow(/--dashboard-url is a base URL/);
    }
  });
});
