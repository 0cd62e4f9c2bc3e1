import { loadSite, onlyError, siteYaml } from "./helpers";

// Schema errors are located at the offending node and worded for an operator.
describe("schema errors", () => {
  it("points an unknown field at its key and lists the expected ones", () => {
    const text = siteYaml().replace("    image:", "    imgae:");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 9,
      column: 5,
      path: "spec.web.imgae",
      message: 'unknown field "imgae" (expected one of: image, replicas, port, command, env, resources, healthcheck)',
    });
  });

  it("points a missing required field at the parent object", () => {
    const text = siteYaml().replace("  web:\n    image: registry.example.com/drupal:10.3\n", "");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 6,
      column: 3,
      path: "spec",
      message: 'missing required field "web"',
    });
  });

  it("reports a missing top-level field with an empty path", () => {
    const text = siteYaml().replace("kind: Site\n", "");
    expect(onlyError(loadSite("acme", text))).toEqual({ file: "sites/acme.yaml", line: 1, column: 1, path: "", message: 'missing required field "kind"' });
  });

  it("reports a wrong type at the value", () => {
    const text = siteYaml().replace("    image: registry.example.com/drupal:10.3", "    image: registry.example.com/drupal:10.3\n    replicas: \"2\"");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 10,
      column: 15,
      path: "spec.web.replicas",
      message: 'must be a whole number, not the string "2"',
    });
  });

  it("reports a wrong apiVersion", () => {
    const text = siteYaml().replace("simulium/v1", "simulium/v2");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 1,
      column: 13,
      path: "apiVersion",
      message: 'must be "simulium/v1", not "simulium/v2"',
    });
  });

  it("reports an out-of-range number", () => {
    const text = siteYaml().replace("    image: registry.example.com/drupal:10.3", "    image: registry.example.com/drupal:10.3\n    port: 70000");
    expect(onlyError(loadSite("acme", text))).toMatchObject({ line: 10, column: 11, path: "spec.web.port", message: "70000 is out of range: must be at most 65535" });
  });

  it("reports a duplicate domain within a site at the later item", () => {
    const r = loadSite("acme", siteYaml("acme", ["a.example.org", "b.example.org", "a.example.org"]));
    expect(onlyError(r)).toEqual({
      file: "sites/acme.yaml",
      line: 9,
      column: 7,
      path: "spec.domains[2]",
      message: '"a.example.org" is listed twice (also at [0])',
    });
  });

  const domainHint = ": expected a lower-case DNS host name (no port, no trailing dot, no wildcard).";
  it.each([
    ["upper case", "Example.org", '"Example.org"'],
    ["a Cyrillic look-alike 'а'", "ex\u0430mple.org", '"ex\\u0430mple.org"'],
    ["a quote (VCL injection)", "'a.org\" { return(pass); } #'", '"a.org\\" { return(pass); } #"'],
    ["a brace", "'a{b}.org'", '"a{b}.org"'],
    ["a port", "'a.org:8080'", '"a.org:8080"'],
    ["a wildcard", "'*.a.org'", '"*.a.org"'],
    ["a trailing dot", "a.org.", '"a.org."'],
    ["an empty label ('..')", "a..org", '"a..org"'],
    ["a newline", '"a.org\\nb.org"', '"a.org\\nb.org"'],
  ])("rejects a domain with %s", (_what, yamlValue, shown) => {
    const r = loadSite("acme", siteYaml("acme", [yamlValue]));
    expect(onlyError(r)).toEqual({ file: "sites/acme.yaml", line: 7, column: 7, path: "spec.domains[0]", message: `${shown} is not valid${domainHint}` });
    expect(r.invalidSites).toEqual(["acme"]);
  });

  it.each([
    ["upper case", "Acme"],
    ["a Cyrillic look-alike", "\u0430cme"],
    ["a quote", "'ac\"me'"],
    ["a dot-dot", "ac..me"],
    ["a brace", "'ac{me}'"],
    ["an underscore", "ac_me"],
  ])("rejects a site name with %s", (_what, yamlValue) => {
    const text = siteYaml().replace("  name: acme", `  name: ${yamlValue}`);
    const e = onlyError(loadSite("acme", text));
    expect(e).toMatchObject({ file: "sites/acme.yaml", line: 4, column: 9, path: "metadata.name" });
    expect(e.message).toMatch(/ is not valid: expected site name: lower-case letters, digits and '-'/);
  });

  it("escapes a newline in a rejected label value so it cannot forge an output line", () => {
    const text = siteYaml().replace("  name: acme", '  name: acme\n  labels: {client: "a\\nsites/x.yaml:1:1: fake"}');
    const e = onlyError(loadSite("acme", text));
    expect(e).toMatchObject({ line: 5, column: 20, path: "metadata.labels.client" });
    expect(e.message).toBe('"a\\nsites/x.yaml:1:1: fake" is not valid: expected a label value: letters, digits, spaces and . _ : / @ -, at most 128 characters.');
    expect(e.message).not.toContain("\n");
  });

  it("points a bad label key at the key", () => {
    const text = siteYaml().replace("  name: acme", "  name: acme\n  labels: {Client: x}");
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 5,
      column: 12,
      path: "metadata.labels.Client",
      message: '"Client" is not allowed as a key here: expected a label key: lower-case letters, digits, \'.\', \'_\' and \'-\', at most 63 characters.',
    });
  });

  it("reports every schema error of a file, not just the first", () => {
    const text = siteYaml().replace("kind: Site", "kind: Sites").replace("    image:", "    imgae:");
    const r = loadSite("acme", text);
    expect(r.errors.map((e) => `${e.line}:${e.column} ${e.path}`)).toEqual(["2:7 kind", "9:5 spec.web.imgae"]);
  });
});
