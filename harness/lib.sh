# Shared helpers for the harness scripts (sourced, not run).
log() { printf '[harness] %s\n' "$*" >&2; }
die() { printf '[harness] error: %s\n' "$*" >&2; exit 1; }

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

harness_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
apt_updated=""

has_command() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

# The packages of pkg:command pairs whose command is missing, each once; `why` says what for.
missing_packages() {
  local spec pkg cmd
  missing=(); why=()
  for spec in "$@"; do
    pkg="${spec%%:*}"; cmd="${spec#*:}"
    has_command "$cmd" && continue
    why+=("$pkg (for $cmd)")
    case " ${missing[*]} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
  done
}

# ensure_packages pkg:command ... installs each Debian package whose command is missing, and
# says which and why. Installing never starts a service: the harness starts the engine itself,
# and a packaged varnishd (Debian's service listens on :6081) or anything else the tests only
# need the binary of must not hold ports the swarm publishes.
ensure_packages() {
  local missing why spec
  missing_packages "$@"
  [ "${#missing[@]}" -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (install them, or run as root so this script can)"
  command -v apt-get >/dev/null 2>&1 || die "missing packages: ${missing[*]} and no apt-get to install them"
  # Test runs may start at once: one installs, the others wait and then find the commands.
  local state="${SIMULIUM_HARNESS_STATE:-/var/lib/simulium-harness}" lock
  mkdir -p "$state"
  exec {lock}>"$state/packages.lock"
  flock "$lock"
  missing_packages "$@"
  if [ "${#missing[@]}" -gt 0 ]; then install_packages; fi
  exec {lock}>&-
  for spec in "$@"; do
    has_command "${spec#*:}" || die "installed ${spec%%:*}, but ${spec#*:} is still missing"
  done
}

# apt-get install "${missing[@]}" (set by missing_packages), no questions, no services started.
install_packages() {
  log "installing ${why[*]}"
  local out policy=/usr/sbin/policy-rc.d own_policy="" ok=1
  local apt_opts=(-o DPkg::Lock::Timeout=300)
  out="$(mktemp /tmp/simulium-apt.XXXXXX)"
  if [ ! -e "$policy" ]; then
    # invoke-rc.d and deb-systemd-invoke ask this script; 101 = "do not start".
    printf '#!/bin/sh\n# simulium harness: packages installed now must not start services\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  if [ -z "$apt_updated" ]; then
    apt-get "${apt_opts[@]}" update -qq < /dev/null > "$out" 2>&1 && apt_updated=1 || ok=""
  fi
  if [ -n "$ok" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "${missing[@]}" < /dev/null >> "$out" 2>&1 || ok=""
  fi
  [ -z "$own_policy" ] || rm -f "$policy"
  if [ -z "$ok" ]; then
    tail -n 20 "$out" >&2
    rm -f "$out"
    die "apt-get install ${missing[*]} failed"
  fi
  rm -f "$out"
}

# Every package:command pair of harness/host-packages (comments and blank lines dropped).
host_packages() {
  sed -e 's/#.*//' "$harness_dir/host-packages" | awk 'NF { print $1 }'
}

# Installs what the harness, the demo and the tests run on the host, when it is missing.
ensure_host_packages() {
  local specs
  mapfile -t specs < <(host_packages)
  [ "${#specs[@]}" -gt 0 ] || die "$harness_dir/host-packages lists no packages"
  ensure_packages "${specs[@]}"
}

# The harness roles (harness/images/<role>) a manifests repository's YAML files name as
# simulium/<role>:local, each once; a commented-out setting (the example's tls:) names none.
manifest_roles() {
  find "$1" -type f \( -name '*.yaml' -o -name '*.yml' \) -exec sed 's/#.*//' {} + |
    { grep -oE 'simulium/[a-z0-9-]+:local' || true; } | sed -E 's|simulium/([a-z0-9-]+):local|\1|' | sort -u |
    while read -r role; do if [ -d "$harness_dir/images/$role" ]; then echo "$role"; fi; done
}

# The Debian mirror this machine already uses; never a hard-coded host.
debian_mirror() {
  local uri=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)"
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri="$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list)"
  fi
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  printf '%s\n' "$uri"
}

# Node.js for the tests, the demo, the benchmarks and the controller image: a maintained LTS
# (package.json `engines`). The host's node when it is one; otherwise (Debian 12 machines often
# carry Node 20, end-of-life since April 2026) the official binary, fetched once from the npm
# registry's node-linux-<arch> package (npm checks it against the registry's integrity hash) into
# the harness state directory, and put first on PATH for this script and what it runs.
NODE_LTS_VERSION=22.23.5
NODE_LTS_MAJOR=22
use_node_lts() {
  local major state dir arch lock tmp
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  [ "$major" -ge "$NODE_LTS_MAJOR" ] && return 0
  state="${SIMULIUM_HARNESS_STATE:-/var/lib/simulium-harness}"
  dir="$state/node-v$NODE_LTS_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64) arch=arm64 ;;
      *) die "no Node.js $NODE_LTS_MAJOR package for $(uname -m): install Node.js $NODE_LTS_MAJOR or later" ;;
    esac
    mkdir -p "$state"
    exec {lock}>"$state/node.lock"
    flock "$lock"
    if [ ! -x "$dir/bin/node" ]; then
      log "fetching Node.js $NODE_LTS_VERSION (the host has $(node --version 2>/dev/null || echo none)) from the npm registry"
      tmp="$(mktemp -d)"
      (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_LTS_VERSION" >/dev/null) || { rm -rf "$tmp"; die "could not fetch node-linux-$arch@$NODE_LTS_VERSION from the npm registry"; }
      tar -xzf "$tmp"/node-linux-*.tgz -C "$tmp"
      # host-program: node (the fetched binary, tried before it is kept)
      "$tmp/package/bin/node" --version >/dev/null || { rm -rf "$tmp"; die "the fetched Node.js does not run on this machine"; }
      mkdir -p "$dir.tmp/bin" && mv "$tmp/package/bin/node" "$dir.tmp/bin/node" && mv "$dir.tmp" "$dir"
      rm -rf "$tmp"
    fi
    exec {lock}>&-
  fi
  export PATH="$dir/bin:$PATH"
}
