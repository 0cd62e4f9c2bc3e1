#!/usr/bin/env bash
# Measures `npm run demo` as a fresh machine runs it (issue 19 item 6), without touching this
# machine's engine, images or caches:
#
#   harness/cold-demo.sh [REF]     (REF: the commit to clone, default HEAD)
#
# A fresh clone of REF (no node_modules, no dist), an empty private dockerd (its own network
# namespace, data root, socket), an empty debootstrap cache, harness state (so Node 22 is fetched
# again), npm cache and simulium state. The namespace reaches the npm registry and the apt mirror
# through NAT from the host, as a fresh machine would reach them; everything the demo publishes
# stays inside the namespace (its loopback). What a fresh machine also does and this does not:
# `apt-get install` the host packages (docker.io, debootstrap, varnish…), already on this machine.
# Prints the wall time of the whole demo and of each step the demo logs; removes everything it
# made, also when interrupted.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"
[ "$(id -u)" = 0 ] || die "cold-demo.sh needs root (a network namespace, NAT, a private dockerd)"

ref="$(git -C "$here/.." rev-parse "${1:-HEAD}")"
root=/var/tmp/simulium-cold-demo
ns=simulium-cold
veth=smcold0
net=10.79.0
sock="$root/run/docker.sock"
# The uplink the host's default route uses: NAT sends the namespace's traffic out there.
# Where sites.example/simulium.yaml names the demo CA's files (caFile): set aside while this runs.
pebble_dir=/var/lib/simulium-harness/demo
uplink="$(ip route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n1)"
[ -n "$uplink" ] || die "no default route: a fresh machine's demo needs the npm registry and the apt mirror"

cleanup() {
  set +e
  [ -s "$root/run/dockerd.pid" ] && kill "$(cat "$root/run/dockerd.pid")" 2>/dev/null && sleep 3
  [ -s "$root/run/dockerd.pid" ] && kill -9 "$(cat "$root/run/dockerd.pid")" 2>/dev/null
  # The demo's daemon, Pebble and hitch run in the namespace: killing every process in it.
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
  iptables -t nat -D POSTROUTING -s "$net.0/24" -o "$uplink" -j MASQUERADE 2>/dev/null
  iptables -D FORWARD -i "$veth" -o "$uplink" -j ACCEPT 2>/dev/null
  iptables -D FORWARD -i "$uplink" -o "$veth" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT 2>/dev/null
  ip link del "$veth" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  # The example manifests name the demo CA's files at a fixed path: the host's are put back.
  if [ -d "$root/host-demo" ]; then rm -rf "$pebble_dir" && mv "$root/host-demo" "$pebble_dir"; fi
  umount "$root/run/exec" 2>/dev/null
  # Container mounts under the private data root go with the engine; a leftover one is unmounted.
  grep -o " $root/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$root"
}
# A run killed before it cleaned up left its namespace and NAT rules: removed first.
cleanup
trap cleanup EXIT

mkdir -p "$root"/{run,data,cache,state,build,npm,simulium}
if [ -d "$pebble_dir" ]; then mv "$pebble_dir" "$root/host-demo"; fi
ip netns add "$ns"
ip link add "$veth" type veth peer name "$veth-p"
ip link set "$veth-p" netns "$ns"
ip addr add "$net.1/24" dev "$veth"
ip link set "$veth" up
ip -n "$ns" addr add "$net.2/24" dev "$veth-p"
ip -n "$ns" link set "$veth-p" up
ip -n "$ns" link set lo up
ip -n "$ns" route add default via "$net.1"
iptables -t nat -A POSTROUTING -s "$net.0/24" -o "$uplink" -j MASQUERADE
iptables -I FORWARD -i "$veth" -o "$uplink" -j ACCEPT
iptables -I FORWARD -i "$uplink" -o "$veth" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT

log "private dockerd (namespace $ns, data root $root/data)"
setsid nsenter --net="/var/run/netns/$ns" dockerd --data-root "$root/data" --exec-root "$root/run/exec" \
  -H "unix://$sock" --pidfile "$root/run/dockerd.pid" >"$root/run/dockerd.log" 2>&1 </dev/null &
for _ in $(seq 1 60); do timeout 5 docker -H "unix://$sock" info >/dev/null 2>&1 && break; sleep 1; done
timeout 5 docker -H "unix://$sock" info >/dev/null 2>&1 || die "the private dockerd did not answer; see $root/run/dockerd.log"

git clone -q "$here/.." "$root/repo"
git -C "$root/repo" checkout -q "$ref"
log "npm run demo from a fresh clone of ${ref:0:12} (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
# Tenths of a second since the start, from bash's own clock (no host programs beyond the demo's).
now_ds() { local t="${EPOCHREALTIME/./}"; echo $(( t / 100000 )); }
elapsed() { local d=$(( $(now_ds) - start )); printf '%d.%d' $(( d / 10 )) $(( d % 10 )); }
start=$(now_ds)
# The demo's own output, each line stamped with the seconds since the start.
rc=0
(cd "$root/repo" && export DOCKER_HOST="unix://$sock" SIMULIUM_HARNESS_STATE="$root/state" \
  SIMULIUM_DEBOOTSTRAP_CACHE="$root/cache" SIMULIUM_BUILD_DIR="$root/build" \
  SIMULIUM_STATE_DIR="$root/simulium" npm_config_cache="$root/npm" \
  && nsenter --net="/var/run/netns/$ns" npm run demo </dev/null 2>&1) |
  while IFS= read -r line; do printf '%7s  %s\n' "$(elapsed)" "$line"; done || rc=$?
log "npm run demo exited $rc after $(elapsed) s (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exit "$rc"
