import Docker from "dockerode";

/**
 * A client for the engine the harness started: dockerode (docker-modem) honours DOCKER_HOST and
 * falls back to /var/run/docker.sock, as the docker CLI does.
 */
export function docker(): Docker {
  return new Docker();
}
