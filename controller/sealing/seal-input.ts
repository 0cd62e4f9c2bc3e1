/**
 * The value `simulium seal` reads from standard input. One trailing line break is dropped:
 * `echo "$VALUE" | simulium seal` and a here-document add one that is not part of the value.
 */
export function valueFromInput(input: Buffer): Buffer {
  let end = input.length;
  if (end > 0 && input[end - 1] === 0x0a) end--;
  if (end > 0 && input[end - 1] === 0x0d) end--;
  return input.subarray(0, end);
}

/** The `spec.secrets` entry to paste into a site manifest. */
export function secretEntryYaml(name: string, ciphertext: string): string {
  return `  - {name: ${name}, sealed: "${ciphertext}"}`;
}

/** An age identity file, as age-keygen writes it. */
export function identityFileText(identity: string, recipient: string, created: Date): string {
  return `# created: ${created.toISOString()}\n# public key: ${recipient}\n${identity}\n`;
}
