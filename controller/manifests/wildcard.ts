/** Whether a certificate name covers a host: the same name, or `*.parent` for a host one label under parent (RFC 6125 §6.4.3). Pure. */
export function covers(name: string, host: string): boolean {
  if (name === host) return true;
  if (!name.startsWith("*.")) return false;
  const dot = host.indexOf(".");
  return dot > 0 && host.slice(dot + 1) === name.slice(2);
}
