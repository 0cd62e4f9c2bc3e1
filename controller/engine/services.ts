import type Docker from "dockerode";
import type { ApiServiceSpec } from "./api-types";
import type { RegistryAuth } from "./registry-auth";

/*
 * dockerode's service calls with the shapes they have at run time, which its typings
 * (@types/dockerode 4, for dockerode 5) lose: create and update take the registry credentials
 * as a first argument (sent as X-Registry-Auth; none sends no header), and a service's logs
 * read without `follow` are one buffer of multiplexed frames (engine/log-frames.ts), not a
 * stream. Declared here once, so no caller casts.
 */
declare module "dockerode" {
  interface Service {
    update(auth: RegistryAuth | undefined, spec: ApiServiceSpec & { version: number }): Promise<unknown>;
    logs(options: { stdout: boolean; stderr: boolean; follow: false }): Promise<Buffer>;
  }
}

/** Docker.prototype.createService(auth, opts, callback): the form the typings do not declare. */
type CreateWithAuth = (this: Docker, auth: RegistryAuth | undefined, spec: ApiServiceSpec) => Promise<Docker.Service>;

/** The client's createService takes the credentials first (three parameters, as dockerode 3 to 5 define it). */
function takesAuthFirst(create: unknown): create is CreateWithAuth {
  return typeof create === "function" && create.length === 3;
}

/** Creates a service, with the registry credentials for its image (none: no header); the service's ID. */
export async function createService(docker: Docker, auth: RegistryAuth | undefined, spec: ApiServiceSpec): Promise<string | undefined> {
  const create: unknown = docker.createService;
  if (!takesAuthFirst(create)) throw new Error("internal: this dockerode's createService takes no registry credentials");
  const created = await create.call(docker, auth, spec);
  // dockerode takes the ID from the engine's answer (ID or Id); an answer without one leaves it empty.
  return created.id || undefined;
}
