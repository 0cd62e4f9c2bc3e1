import { authForImage, registryOf } from "../../../controller/engine/registry-auth";

const HUB = "https://index.docker.io/v1/";
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

describe("registry-auth: which registry an image comes from", () => {
  it.each([
    ["drupal", HUB],
    ["drupal:10.3", HUB],
    ["library/drupal:10.3", HUB],
    ["someorg/drupal:10.3", HUB],
    ["docker.io/library/drupal:10.3", HUB],
    ["index.docker.io/someorg/drupal", HUB],
    ["registry.example.com/drupal:10.3", "registry.example.com"],
    ["registry.example.com:5000/team/drupal:10.3", "registry.example.com:5000"],
    ["localhost:5000/drupal", "localhost:5000"],
    ["localhost/drupal", "localhost"],
    ["10.0.0.5:5000/drupal@sha256:abc", "10.0.0.5:5000"],
    ["ghcr.io/org/img@sha256:abc", "ghcr.io"],
  ])("%s → %s", (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });
});

describe("registry-auth: credentials for an image", () => {
  it("decodes `auth` (base64 user:password) for a private registry", () => {
    const config = { auths: { "registry.example.com": { auth: b64("deploy:s3cr:et") } } };
    expect(authForImage(config, "registry.example.com/drupal:10.3")).toEqual({ username: "deploy", password: "s3cr:et", serveraddress: "registry.example.com" });
  });

  it("finds a registry stored with its https:// prefix", () => {
    const config = { auths: { "https://registry.example.com": { auth: b64("u:p") } } };
    expect(authForImage(config, "registry.example.com/x")).toMatchObject({ username: "u", password: "p" });
  });

  it("prefers an identity token", () => {
    const config = { auths: { "registry.example.com": { identitytoken: "tok-123", auth: b64("u:p") } } };
    expect(authForImage(config, "registry.example.com/x")).toEqual({ identitytoken: "tok-123", serveraddress: "registry.example.com" });
  });

  it("takes plain username/password fields", () => {
    const config = { auths: { "localhost:5000": { username: "u", password: "p" } } };
    expect(authForImage(config, "localhost:5000/x")).toEqual({ username: "u", password: "p", serveraddress: "localhost:5000" });
  });

  it.each([HUB, "docker.io", "index.docker.io"])("uses the Docker Hub entry stored as %s for a Docker Hub image", (key) => {
    const config = { auths: { [key]: { auth: b64("hubuser:hubpass") } } };
    for (const image of ["drupal:10.3", "someorg/drupal", "docker.io/someorg/drupal:1"]) {
      expect(authForImage(config, image)).toEqual({ username: "hubuser", password: "hubpass", serveraddress: HUB });
    }
  });

  it("never sends one registry's credentials to another", () => {
    const config = { auths: { "registry.example.com": { auth: b64("u:p") }, [HUB]: { auth: b64("h:p") } } };
    expect(authForImage(config, "other.example.com/x")).toBeUndefined();
    expect(authForImage(config, "registry.example.com.evil.org/x")).toBeUndefined();
    expect(authForImage(config, "drupal")).toMatchObject({ username: "h" });
  });

  it("is undefined without auths", () => {
    expect(authForImage({}, "drupal")).toBeUndefined();
    expect(authForImage({ auths: { "registry.example.com": {} } }, "registry.example.com/x")).toBeUndefined();
  });

  it("refuses a malformed `auth` (no colon) instead of sending a mangled user name", () => {
    const config = { auths: { "registry.example.com": { auth: b64("justatoken") } } };
    expect(authForImage(config, "registry.example.com/x")).toBeUndefined();
  });

  it("falls back to plain username/password fields beside a malformed `auth`", () => {
    const config = { auths: { "registry.example.com": { auth: b64("justatoken"), username: "u", password: "p" } } };
    expect(authForImage(config, "registry.example.com/x")).toEqual({ username: "u", password: "p", serveraddress: "registry.example.com" });
  });
});
