import { readFileSync } from "node:fs";
import { HarnessError } from "./errors";

export const ROLES = ["web", "mariadb", "varnish", "busybox"] as const;
export type Role = (typeof ROLES)[number];
export type ImageMap = Readonly<Record<Role, string>>;

/** Where harness/build-images.sh writes the role -> tag map. */
export function imagesFile(): string {
  return process.env.SIMULIUM_IMAGES_JSON ?? "/var/lib/simulium-harness/images.json";
}

/** The content-hash tag of every role's image, e.g. `{ web: "simulium/web:3e37b2ba86f9", ... }`. */
export function images(file: string = imagesFile()): ImageMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new HarnessError(
      `cannot read the image map ${file} (${err instanceof Error ? err.message : String(err)}); run bash harness/build-images.sh`,
    );
  }
  return parseImageMap(parsed, file);
}

export function image(role: Role): string {
  return images()[role];
}

function parseImageMap(value: unknown, file: string): ImageMap {
  if (typeof value !== "object" || value === null) throw new HarnessError(`${file} is not a JSON object`);
  const entries = value as Record<string, unknown>;
  const missing = ROLES.filter((role) => typeof entries[role] !== "string");
  if (missing.length > 0) {
    throw new HarnessError(`${file} lacks images for ${missing.join(", ")}; run bash harness/build-images.sh`);
  }
  return Object.fromEntries(ROLES.map((role) => [role, entries[role] as string])) as Record<Role, string>;
}
