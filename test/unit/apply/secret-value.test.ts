import { generateSecret } from "../../../controller/apply/secret-value";

describe("secret-value: generated secrets", () => {
  it.each([1, 16, 32, 64, 256])("has the asked length (%i)", (n) => {
    expect(generateSecret(n)).toHaveLength(n);
  });

  it("is alphanumeric only, so it survives shells, DSNs and config files unquoted", () => {
    expect(generateSecret(2000)).toMatch(/^[A-Za-z0-9]{2000}$/);
  });

  it("uses the whole alphabet (upper, lower, digits)", () => {
    const v = generateSecret(4000);
    expect(v).toMatch(/[A-Z]/);
    expect(v).toMatch(/[a-z]/);
    expect(v).toMatch(/[0-9]/);
    expect(new Set(v).size).toBe(62);
  });

  it("differs between two calls", () => {
    expect(generateSecret(32)).not.toBe(generateSecret(32));
  });

  it("is empty for length 0", () => {
    expect(generateSecret(0)).toBe("");
  });
});
