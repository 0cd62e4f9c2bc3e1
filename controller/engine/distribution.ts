import type Docker from "dockerode";
import { engineMessage } from "./docker";
import type { AuthLookup } from "./registry-auth";

/** What the registry said of one image: its digest, or why there is none. */
export type ImageResolution = { readonly digest: string } | { readonly error: string };

/** How many registry look-ups run at once: a plan of many sites shares few images. */
const PARALLEL = 4;

/**
 * Each image's digest as its registry has it now, through the engine's distribution inspect
 * (`GET /distribution/{name}/json`, what `docker stack deploy --resolve-image always` asks),
 * with the image's registry credentials. A failure is kept per image (the engine's message:
 * connection refused, no basic auth credentials, manifest unknown), never thrown: it leaves
 * the sites using that image as they run, the others go on.
 */
export async function resolveImageDigests(docker: Docker, images: readonly string[], auth: AuthLookup): Promise<Map<string, ImageResolution>> {
  const out = new Map<string, ImageResolution>();
  const queue = [...images];
  const worker = async (): Promise<void> => {
    for (let image = queue.shift(); image !== undefined; image = queue.shift()) out.set(image, await resolveOne(docker, image, auth));
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, images.length) }, worker));
  return out;
}

async function resolveOne(docker: Docker, image: string, auth: AuthLookup): Promise<ImageResolution> {
  const credentials = auth(image);
  try {
    const found = (await docker.getImage(image).distribution(credentials ? { authconfig: credentials } : {})) as { Descriptor?: { digest?: unknown } };
    const digest = found.Descriptor?.digest;
    if (typeof digest === "string" && /^sha256:[a-f0-9]{64}$/.test(digest)) return { digest };
    return { error: "the registry answered without a sha256 digest" };
  } catch (err) {
    return { error: `the registry refused it or is unreachable (${engineMessage(err)})` };
  }
}
