import { covers } from "../../../controller/manifests/wildcard";
import { certificateNames, challengeOf, servedHosts } from "../../../controller/tls/names";

describe("certificate names", () => {
  it("a wildcard covers one label under its parent, never the parent itself or two labels down", () => {
    expect(covers("*.example.org", "www.example.org")).toBe(true);
    expect(covers("*.example.org", "example.org")).toBe(false);
    expect(covers("*.example.org", "a.www.example.org")).toBe(false);
    expect(covers("*.example.org", "wwwexample.org")).toBe(false);
    expect(covers("www.example.org", "www.example.org")).toBe(true);
    expect(covers("www.example.org", "shop.example.org")).toBe(false);
  });

  it("orders the wildcards and the domains they do not cover, sorted, once each", () => {
    expect(certificateNames(["example.org", "www.example.org", "shop.example.org", "a.b.example.org"], ["*.example.org"])).toEqual(["*.example.org", "a.b.example.org", "example.org"]);
    expect(certificateNames(["b.test", "a.test", "a.test"])).toEqual(["a.test", "b.test"]);
  });

  it("validates a wildcard by DNS-01 whatever the site's challenge, other names by the site's", () => {
    expect(challengeOf("*.example.org", "http-01")).toBe("dns-01");
    expect(challengeOf("example.org", "http-01")).toBe("http-01");
    expect(challengeOf("example.org", "dns-01")).toBe("dns-01");
  });

  it("measures the site's hosts a certificate covers, not the wildcard itself", () => {
    expect(servedHosts(["example.org", "www.example.org", "new.example.org", "other.test"], ["*.example.org", "example.org"])).toEqual(["example.org", "www.example.org", "new.example.org"]);
  });
});
