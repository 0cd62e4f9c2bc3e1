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
