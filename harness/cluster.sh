#!/usr/bin/env bash
# A multi-node Docker Swarm on this one machine, for the tests that need several nodes:
#
#   harness/cluster.sh up [N]     N nodes (default 3); reuses a cluster that already runs
#   harness/cluster.sh down       stops it and removes everything it made
#   harness/cluster.sh status     one line per node (hostname, address, socket)
#   harness/cluster.sh crash K    node K loses power (below); `up` boots it again
#
# Node K is a dockerd in its own network namespace (simulium-nodeK) and UTS namespace
# (hostname nodeK), reached by the tests on unix:///run/simulium-cluster/nodeK.sock and on the
# network at 10.78.0.(10+K) over the host bridge smcl0 (10.78.0.1/24). Node 1 is the manager
# (swarm init); the others join it as workers. The host's own engine (/var/run/docker.sock),
# its swarm and its data are never touched: every node has its own --data-root, --exec-root,
# socket and pid file. How this was made to work: /work/shared/ENGINE.md ("Several nodes on
# one machine"), in short:
#   - `nsenter --net`, not `ip netns exec` (which remounts /sys, hiding the cgroup mounts:
#     dockerd fails with "Devices cgroup isn't mounted");
#   - `unshare --uts` so each node has its own hostname (else all are named like the machine);
#   - the host's FORWARD policy is DROP and bridged frames go through iptables: one
#     DOCKER-USER rule accepts traffic from the bridge to the bridge, and nothing else.
# No NAT and no default route: the nodes reach each other and the host, nothing beyond the bridge.
#
# Images: `up` loads the local images the cluster tests use (SIMULIUM_CLUSTER_IMAGES, default
# the busybox role) from the host's engine into every node (docker save | docker
# load), skipping a node that already has the same image ID. It also starts a real registry
# (Debian's docker-registry, the CNCF distribution registry) on the bridge at 10.78.0.1:5000
# with htpasswd basic auth, and pushes the busybox, varnish and mariadb roles there as
# 10.78.0.1:5000/simulium/<role>:local, so the registry tests pull through it: the user name
# and password are in $run_dir/registry/docker-config/config.json (what `docker login` writes,
# and what a cluster's registryAuth.configFile names). Plain HTTP: every node's engine lists
# the registry as insecure (--insecure-registry), the host's engine does not know it (node 1
# pushes). `harness/cluster.sh registry stop|start` stops and starts it (a test of a registry
# that is down).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

# Overridable so a checkout's tests keep their cluster while another checkout's test run removes
# the default one (test/support/cluster.ts reads the same variable).
run_dir="${SIMULIUM_CLUSTER_RUN_DIR:-/run/simulium-cluster}"
data_dir=/var/lib/simulium-cluster
bridge=smcl0
subnet_prefix=10.78.0
bridge_addr="$subnet_prefix.1"
# SIMULIUM_CLUSTER_EXTRA_IMAGES: more, for the test that needs them (the tools image of a move).
images="${SIMULIUM_CLUSTER_IMAGES:-simulium/busybox:local} ${SIMULIUM_CLUSTER_EXTRA_IMAGES:-}"
registry_addr="$bridge_addr:5000"
registry_dir="$run_dir/registry"
# Pushed to the registry (loaded into node 1 first, which pushes): the nodes pull them from there.
registry_images="${SIMULIUM_CLUSTER_REGISTRY_IMAGES:-simulium/busybox:local simulium/varnish:local simulium/mariadb:local}"

node_ip() { echo "$subnet_prefix.$((10 + $1))"; }
node_ns() { echo "simulium-node$1"; }
node_sock() { echo "$run_dir/node$1.sock"; }
node_pidfile() { echo "$run_dir/node$1.pid"; }
# Host end of node K's veth pair (interface names are limited to 15 characters).
node_veth() { echo "smcl0-n$1"; }
ndocker() { local k="$1"; shift; timeout 60 docker -H "unix://$(node_sock "$k")" "$@"; }
node_answers() { [ -S "$(node_sock "$1")" ] && timeout 10 docker -H "unix://$(node_sock "$1")" info >/dev/null 2>&1; }

# The node numbers that exist now (by their namespace or their engine's pid file), ascending.
existing_nodes() {
  {
    ip netns list 2>/dev/null | sed -n 's/^simulium-node\([0-9][0-9]*\).*/\1/p'
    # `if`, not `[ -e ] &&`: with no pid file the loop must not end on a failed test, which
    # pipefail would turn into a failing function (and `up` would exit silently under set -e).
    for f in "$run_dir"/node*.pid; do if [ -e "$f" ]; then basename "$f"; fi; done | sed -n 's/^node\([0-9][0-9]*\)\.pid$/\1/p'
  } | sort -nu
}

usage() { die "usage: harness/cluster.sh up [N] | down | status | crash K | registry stop|start"; }

need_root() { [ "$(id -u)" = 0 ] || die "the test cluster needs root (network namespaces, a bridge, iptables)"; }

bridge_up() {
  ip link show "$bridge" >/dev/null 2>&1 || ip link add "$bridge" type bridge
  # Also on a bridge an interrupted run left without its address (the registry binds to it).
  grep -qF " $bridge_addr/24 " <<<"$(ip -o addr show dev "$bridge")" || ip addr add "$bridge_addr/24" dev "$bridge"
  ip link set "$bridge" up
  # The host engine makes DOCKER-USER; without it the cluster would be the first to touch
  # the host's FORWARD chain, which this script must not own.
  iptables -S DOCKER-USER >/dev/null 2>&1 || die "no DOCKER-USER chain: start the host engine first (harness/engine.sh)"
  iptables -C DOCKER-USER -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null \
    || iptables -I DOCKER-USER -i "$bridge" -o "$bridge" -j ACCEPT
}

netns_up() {
  local k="$1" ns veth
  ns="$(node_ns "$k")"; veth="$(node_veth "$k")"
  grep -qx "$ns\( .*\)\?" <<<"$(ip netns list)" || ip netns add "$ns"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name "$veth-p"
    ip link set "$veth-p" netns "$ns"
    ip -n "$ns" link set "$veth-p" name eth0
    ip -n "$ns" addr add "$(node_ip "$k")/24" dev eth0
  fi
  ip link set "$veth" master "$bridge" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  # No default route (ENGINE.md has one): nothing a node sends leaves the bridge. A node's
  # engine tries to pull every image it starts a task of; without a route the name lookup
  # fails at once, where a lookup via the bridge waited seconds on a resolver it cannot reach
  # (and sent a packet it should not) before the task started from the loaded image.
  ip -n "$ns" route del default 2>/dev/null || true
}

dockerd_up() {
  local k="$1"
  if node_answers "$k"; then
    grep -qF "\"$registry_addr\"" <<<"$(ndocker "$k" info --format '{{json .RegistryConfig.IndexConfigs}}')" && return 0
    # Started by an older cluster.sh: restarted with the flag, its data root and swarm state kept.
    log "node$k runs without --insecure-registry $registry_addr: restarting it"
    stop_dockerd "$k"
  fi
  mkdir -p "$run_dir" "$data_dir/node$k"
  log "starting node$k ($(node_ip "$k"), log: $run_dir/node$k.log)"
  # setsid: the node must outlive this script. The hostname is set in the new UTS namespace
  # only; nsenter then runs dockerd in the node's network namespace with the host's /sys.
  setsid unshare --uts sh -c "hostname node$k && exec nsenter --net=/var/run/netns/$(node_ns "$k") \
    dockerd --data-root '$data_dir/node$k' --exec-root '$run_dir/node$k.exec' --insecure-registry '$registry_addr' \
      -H 'unix://$(node_sock "$k")' --pidfile '$(node_pidfile "$k")'" \
    >>"$run_dir/node$k.log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do node_answers "$k" && return 0; sleep 1; done
  die "node$k did not answer within 60 s; see $run_dir/node$k.log"
}

swarm_up() {
  local n="$1" k state token
  state="$(ndocker 1 info --format '{{.Swarm.LocalNodeState}}')"
  if [ "$state" != active ]; then
    log "node1: swarm init"
    ndocker 1 swarm init --advertise-addr "$(node_ip 1)" >/dev/null
  fi
  token="$(ndocker 1 swarm join-token -q worker)"
  for k in $(seq 2 "$n"); do
    state="$(ndocker "$k" info --format '{{.Swarm.LocalNodeState}}')"
    [ "$state" = active ] && continue
    log "node$k: swarm join"
    ndocker "$k" swarm join --advertise-addr "$(node_ip "$k")" --token "$token" "$(node_ip 1):2377" >/dev/null
  done
  # Every node ready as the manager sees it, before a test schedules on it.
  for _ in $(seq 1 60); do
    [ "$(ndocker 1 node ls --format '{{.Status}}' | grep -c '^Ready$')" -ge "$n" ] && return 0
    sleep 1
  done
  die "not all $n nodes are ready after 60 s: $(ndocker 1 node ls 2>&1)"
}

images_up() {
  local n="$1" img id k
  for img in $images; do
    id="$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null)" || die "no image $img on the host engine: run harness/build-images.sh"
    for k in $(seq 1 "$n"); do
      [ "$(ndocker "$k" image inspect --format '{{.Id}}' "$img" 2>/dev/null || true)" = "$id" ] && continue
      log "node$k: loading $img"
      docker save "$img" | docker -H "unix://$(node_sock "$k")" load >/dev/null
    done
  done
}

registry_answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$registry_addr/v2/" || true)" = 401 ]; }

# The registry, its htpasswd user and the client config holding that user's credentials.
registry_start() {
  local password orphan cfg
  if [ -f "$registry_dir/pid" ] && kill -0 "$(cat "$registry_dir/pid")" 2>/dev/null && registry_answers; then return 0; fi
  # One whose files were removed under it (a `down` of an older cluster.sh) holds the port.
  for orphan in $(pgrep -f '^docker-registry serve /.*/registry/config\.yml$' || true); do
    cfg="$(tr '\0' ' ' <"/proc/$orphan/cmdline" 2>/dev/null | awk '{print $3}')"
    [ -n "$cfg" ] && [ ! -e "$cfg" ] || continue
    log "stopping a registry left without its files (pid $orphan)"
    kill -TERM "$orphan"
    sleep 1
  done
  mkdir -p "$registry_dir/data" "$registry_dir/docker-config"
  chmod 0700 "$registry_dir"
  if [ ! -s "$registry_dir/htpasswd" ]; then
    password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
    htpasswd -Bbn simulium "$password" >"$registry_dir/htpasswd"
    printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$registry_addr" "$(printf 'simulium:%s' "$password" | base64 -w0)" \
      >"$registry_dir/docker-config/config.json"
    chmod 0600 "$registry_dir/htpasswd" "$registry_dir/docker-config/config.json"
  fi
  cat >"$registry_dir/config.yml" <<YAML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $registry_dir/data}
http:
  addr: $registry_addr
auth:
  htpasswd: {realm: simulium-test, path: $registry_dir/htpasswd}
YAML
  log "starting the registry at $registry_addr (log: $registry_dir/registry.log)"
  setsid docker-registry serve "$registry_dir/config.yml" >>"$registry_dir/registry.log" 2>&1 </dev/null &
  echo $! >"$registry_dir/pid"
  for _ in $(seq 1 30); do registry_answers && return 0; sleep 0.5; done
  die "the registry did not answer within 15 s; see $registry_dir/registry.log"
}

registry_stop() {
  local pid
  [ -f "$registry_dir/pid" ] || return 0
  pid="$(cat "$registry_dir/pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$registry_dir/pid"
}

# Node 1 pushes (the host's engine does not trust the plain-HTTP registry), as the test user.
registry_push() {
  local img id
  for img in $registry_images; do
    id="$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null)" || die "no image $img on the host engine: run harness/build-images.sh"
    if [ "$(ndocker 1 image inspect --format '{{.Id}}' "$img" 2>/dev/null || true)" != "$id" ]; then
      log "node1: loading $img (to push it)"
      docker save "$img" | docker -H "unix://$(node_sock 1)" load >/dev/null
    fi
    ndocker 1 tag "$img" "$registry_addr/$img"
    DOCKER_CONFIG="$registry_dir/docker-config" ndocker 1 push "$registry_addr/$img" >/dev/null
  done
}

cmd_up() {
  local n="${1:-3}" k have
  [[ "$n" =~ ^[1-9]$ ]] || die "the number of nodes must be 1 to 9, not '$n'"
  need_root
  have="$(existing_nodes | tail -n 1)"
  if [ -n "$have" ] && [ "$have" -gt "$n" ]; then
    die "a cluster of $have nodes runs; run harness/cluster.sh down first"
  fi
  bridge_up
  for k in $(seq 1 "$n"); do netns_up "$k"; dockerd_up "$k"; done
  swarm_up "$n"
  images_up "$n"
  registry_start
  registry_push
  log "cluster ready: $n nodes, manager unix://$(node_sock 1)"
}

# SIGTERM, then wait for the engine to exit (running tasks delay it); SIGKILL after 60 s.
stop_dockerd() {
  local k="$1" pid pidfile
  pidfile="$(node_pidfile "$k")"
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then
      log "node$k (pid $pid) did not stop within 60 s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
    fi
  fi
  rm -f "$pidfile"
}

# Mount points under the given directories (an engine's netns files, overlay layers, its data
# root itself), deepest first.
mounts_under() {
  awk -v a="$1" -v b="$2" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts | sort -r
}

cmd_down() {
  local k m
  need_root
  registry_stop
  for k in $(existing_nodes); do
    stop_dockerd "$k"
    # Mounts the engine left (its exec root, overlay layers, netns of containers) go first.
    for m in $(mounts_under "$run_dir/node$k.exec" "$data_dir/node$k"); do umount -l "$m" 2>/dev/null || true; done
    ip link del "$(node_veth "$k")" 2>/dev/null || true
    ip netns del "$(node_ns "$k")" 2>/dev/null || true
    rm -rf "$run_dir/node$k.exec" "$data_dir/node$k" "$(node_sock "$k")"
  done
  while iptables -C DOCKER-USER -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null; do
    iptables -D DOCKER-USER -i "$bridge" -o "$bridge" -j ACCEPT
  done
  ip link del "$bridge" 2>/dev/null || true
  # Whatever a node whose namespace was already gone left mounted.
  for m in $(mounts_under "$run_dir/" "$data_dir/"); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$run_dir" "$data_dir"
  log "cluster removed"
}

# Every process of node K: its dockerd, the containerd it started, the shims that containerd
# started (daemonised, so not dockerd's descendants: found by the node's exec root in their
# arguments) and the containers' processes under them.
node_processes() {
  local k="$1" root_pid
  root_pid="$(cat "$(node_pidfile "$k")" 2>/dev/null || true)"
  # The exec root goes through the environment: in awk's arguments it would match awk itself.
  ps -eo pid=,ppid=,args= | ROOT_PID="$root_pid" EXEC_ROOT="$run_dir/node$k.exec/" awk '
    { parent[$1] = $2; if ($1 == ENVIRON["ROOT_PID"] || index($0, ENVIRON["EXEC_ROOT"]) > 0) keep[$1] = 1 }
    END {
      # Then their descendants, to a fixed point.
      do { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } } while (grew)
      for (p in keep) print p
    }'
}

# Node K loses power, as the swarm sees a machine that dies: its link goes down (its address
# stops answering, no connection is closed) and every process of the node is SIGKILLed at
# once (stopped first, so no engine notices the others dying and restarts or reports
# anything); then what a reboot clears goes too: the engine's exec root (a tmpfs on a real
# machine) and the mounts of its containers. Its data root (the disk) stays. `up` boots it.
cmd_crash() {
  local k="${1:-}" pids m killed
  need_root
  [[ "$k" =~ ^[1-9]$ ]] || die "crash: which node (1 to 9), not '$k'"
  node_answers "$k" || die "node$k is not running"
  ip link set "$(node_veth "$k")" down
  pids="$(node_processes "$k" | tr '\n' ' ')"
  [ -n "$pids" ] || die "no process of node$k found"
  killed=0
  # Again until none is left: a process forked between the listing and the signals (an exec a
  # shim starts) is caught by the next round.
  for _ in $(seq 1 30); do
    [ -n "$pids" ] || break
    killed=$((killed + $(wc -w <<<"$pids")))
    # shellcheck disable=SC2086 # one word per pid
    kill -STOP $pids 2>/dev/null || true
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 1
    pids="$(node_processes "$k" | tr '\n' ' ')"
  done
  [ -z "$pids" ] || die "node$k: processes left after SIGKILL: $pids"
  for m in $(mounts_under "$run_dir/node$k.exec" "$data_dir/node$k/"); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$run_dir/node$k.exec" "$(node_sock "$k")" "$(node_pidfile "$k")"
  log "node$k crashed: $killed processes killed, link down; 'up' boots it"
}

cmd_status() {
  local k
  for k in $(existing_nodes); do
    if node_answers "$k"; then
      printf 'node%s %s unix://%s %s\n' "$k" "$(node_ip "$k")" "$(node_sock "$k")" \
        "$(ndocker "$k" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}')"
    else
      printf 'node%s %s not answering\n' "$k" "$(node_ip "$k")"
    fi
  done
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  crash) cmd_crash "${2:-}" ;;
  registry)
    case "${2:-}" in
      stop) registry_stop ;;
      start) registry_start ;;
      *) usage ;;
    esac ;;
  *) usage ;;
esac
