import { identityFileText, secretEntryYaml, valueFromInput } from "../../../controller/sealing/seal-input";

describe("sealing: seal input", () => {
  it("drops one trailing line break, keeps everything else", () => {
    expect(valueFromInput(Buffer.from("v\n")).toString()).toBe("v");
    expect(valueFromInput(Buffer.from("v\r\n")).toString()).toBe("v");
    expect(valueFromInput(Buffer.from("v\n\n")).toString()).toBe("v\n");
    expect(valueFromInput(Buffer.from(" v ")).toString()).toBe(" v ");
    expect(valueFromInput(Buffer.from("\n")).length).toBe(0);
  });

  it("prints a spec.secrets entry and an age-keygen style identity file", () => {
    expect(secretEntryYaml("smtp-password", "YWdl")).toBe('  - {name: smtp-password, sealed: "YWdl"}');
    expect(identityFileText("AGE-SECRET-KEY-1X", "age1y", new Date(0))).toBe(
      "# created: 1970-01-01T00:00:00.000Z\n# public key: age1y\nAGE-SECRET-KEY-1X\n",
    );
  });
});
