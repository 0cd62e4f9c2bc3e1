import { readFile } from "node:fs/promises";

/** The X-Registry-Auth payload the engine expects (the `--with-registry-auth` behaviour). */
export interface RegistryAuth {
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly serveraddress: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
}

const DOCKER_HUB = "https://index.docker.io/v1/";
/** Hosts that name Docker Hub explicitly (`docker.io/library/x`); docker login stores them all under DOCKER_HUB. */
const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** Registry host of an image reference, as Docker resolves it (Docker Hub when none is named). */
export function registryOf(image: string): string {
  const first = image.split("/")[0];
  const hasHost = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return hasHost && !DOCKER_HUB_HOSTS.has(first) ? first : DOCKER_HUB;
}

/** Pure: the credentials config.json holds for an image's registry, if any. */
export function authForImage(config: DockerConfigFile, image: string): RegistryAuth | undefined {
  const registry = registryOf(image);
  const auths = config.auths ?? {};
  const candidates = registry === DOCKER_HUB ? [DOCKER_HUB, "docker.io", "index.docker.io"] : [registry, `https://${registry}`];
  for (const c of candidates) {
    const entry = auths[c];
    if (!entry) continue;
    if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: registry };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      // Not `user:password`: sending a mangled user name would fail later, far from the cause.
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: registry };
    }
    if (entry.username) return { username: entry.username, password: entry.password ?? "", serveraddress: registry };
  }
  return undefined;
}

export type AuthLookup = (image: string) => RegistryAuth | undefined;

/** Reads the config file named in simulium.yaml; its contents are never logged. */
export async function loadRegistryAuth(configFile: string | undefined): Promise<AuthLookup> {
  if (!configFile) return () => undefined;
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(configFile, "utf8")) as DockerConfigFile;
  } catch (err) {
    const reason = err instanceof SyntaxError ? "it is not valid JSON" : (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new Error(`registry credentials file ${configFile} cannot be used: ${reason}`);
  }
  return (image) => authForImage(config, image);
}
