#!/usr/bin/env bash
# Makes a Docker engine in swarm mode reachable on this machine. Idempotent:
# installs the Debian packages of harness/host-packages whose command is missing (docker.io,
# varnish, git, openssh-client, ...), starts dockerd only when
# none answers, and initialises a swarm only when the engine is in none.
# It never stops, leaves or changes an engine or swarm it did not create.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

# Where the engine this script starts writes its pid: dockerd's default path, passed explicitly
# because the engine-restart test (test/support/engine.ts) finds the harness's engine by it
# when other engines (multi-node tests) run on the same machine.
engine_pidfile=/var/run/docker.pid

# The engine, and every other host program the harness, the demo and the tests run.
ensure_host_packages

if ! docker_answers; then
  if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST#unix://}" = "$DOCKER_HOST" ]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer, and it is not a local socket this script could start an engine on"
  fi
  [ "$(id -u)" = 0 ] || die "no Docker engine answers and starting dockerd needs root (run as root, or start dockerd yourself)"
  log "starting dockerd (log: /var/log/simulium-dockerd.log)"
  # setsid: the engine must outlive this script and the shell that ran it.
  setsid dockerd --pidfile "$engine_pidfile" >>/var/log/simulium-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do docker_answers && break; sleep 1; done
  docker_answers || die "dockerd did not answer within 60 s; see /var/log/simulium-dockerd.log"
fi

state="$(docker info --format '{{.Swarm.LocalNodeState}}')"
case "$state" in
  active) ;;
  inactive)
    log "initialising a single-node swarm"
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null ;;
  *) die "the engine's swarm state is '$state'; fix it by hand (docker swarm leave / docker swarm init)" ;;
esac
[ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] \
  || die "this engine is a swarm worker; simulium needs a manager node"
log "engine ready: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}'), swarm active"
