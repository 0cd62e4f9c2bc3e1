#!/usr/bin/env bash
# The demo's ACME CA (run by harness/demo.sh): Pebble, Let's Encrypt's test CA (Debian's
# pebble), and its challenge test server as Pebble's DNS, both on loopback only and left
# running beside the demo's daemon. sites.example/simulium.yaml names them: directory
# https://127.0.0.1:14000/dir, caFile /var/lib/simulium-harness/demo/pebble-listener.pem.
#
# The DNS answers 127.0.0.1 for every name, and Pebble's httpPort is Varnish's published port,
# so each HTTP-01 challenge is validated for real: Pebble asks the demo's Varnish on 127.0.0.1
# for the token, and Varnish answers it from the VCL. No packet leaves the machine, and no
# validation is skipped (PEBBLE_VA_ALWAYS_VALID is not set).
#
# Idempotent: a Pebble that answers with the same settings is kept. Pebble makes a new root at
# each start and keeps it in memory only: each root is kept under pebble-roots/ and
# pebble-root.pem is all of them, so the certificates an earlier Pebble issued (the controller
# keeps them until they are due) still verify after a reboot.
# Usage: demo-pebble.sh <varnish http port>. Exits non-zero saying why Pebble is not running.
# SIMULIUM_DEMO_PEBBLE_DIR and SIMULIUM_DEMO_PEBBLE_PORTS (acme,management,dns,dns-management)
# move it elsewhere: test/integration/example-manifests.test.ts runs this script beside a demo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
source harness/lib.sh

http_port="${1:?usage: demo-pebble.sh <varnish http port>}"
dir="${SIMULIUM_DEMO_PEBBLE_DIR:-/var/lib/simulium-harness/demo}"
IFS=, read -r acme mgmt dns dns_mgmt <<< "${SIMULIUM_DEMO_PEBBLE_PORTS:-14000,15000,8053,8055}"
acme="127.0.0.1:$acme" mgmt="127.0.0.1:$mgmt" dns="127.0.0.1:$dns" dns_mgmt="127.0.0.1:$dns_mgmt"

for cmd in pebble pebble-challtestsrv openssl curl; do
  has_command "$cmd" || die "$cmd is not installed (Debian package ${cmd%-challtestsrv}; harness/engine.sh installs it as root)"
done
mkdir -p "$dir/pebble-roots"

answers() { curl -fsS --max-time 2 --cacert "$dir/pebble-listener.pem" "https://$acme/dir" >/dev/null 2>&1; }

# Pebble's own HTTPS listener (the ACME directory is https only): a self-signed certificate
# for 127.0.0.1, the caFile of simulium.yaml.
if [ ! -s "$dir/pebble-listener.pem" ] || ! openssl x509 -checkend 86400 -noout -in "$dir/pebble-listener.pem" >/dev/null 2>&1; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/pebble-listener.key" \
    -out "$dir/pebble-listener.pem" -days 3650 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
  rm -f "$dir/pebble.json"
fi

config="$(printf '{"pebble":{"listenAddress":"%s","managementListenAddress":"%s","certificate":"%s","privateKey":"%s","httpPort":%s,"tlsPort":5001,"ocspResponderURL":"","externalAccountBindingRequired":false}}' \
  "$acme" "$mgmt" "$dir/pebble-listener.pem" "$dir/pebble-listener.key" "$http_port")"
alive() { [ -s "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null; }

if [ "$(cat "$dir/pebble.json" 2>/dev/null)" = "$config" ] && alive pebble && alive challtestsrv && answers; then
  exit 0
fi
for p in pebble challtestsrv; do
  if alive "$p"; then kill "$(cat "$dir/$p.pid")"; fi
done
sleep 0.3
printf '%s\n' "$config" > "$dir/pebble.json"
# setsid: both outlive this script, like the demo's daemon.
setsid pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "$dns" -http01 "" -https01 "" -tlsalpn01 "" \
  -management "$dns_mgmt" > "$dir/challtestsrv.log" 2>&1 < /dev/null &
echo $! > "$dir/challtestsrv.pid"
# NOSLEEP: no random wait before each validation; NONCEREJECT=0: no deliberate badNonce errors.
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 setsid pebble -config "$dir/pebble.json" -dnsserver "$dns" \
  > "$dir/pebble.log" 2>&1 < /dev/null &
echo $! > "$dir/pebble.pid"
for _ in $(seq 1 100); do answers && break; sleep 0.2; done
answers || die "Pebble did not answer on https://$acme/dir within 20 s (ports ${SIMULIUM_DEMO_PEBBLE_PORTS:-14000,15000,8053,8055} taken?); see $dir/pebble.log and $dir/challtestsrv.log"

root="$(curl -fsS --cacert "$dir/pebble-listener.pem" "https://$mgmt/roots/0")" || die "Pebble gave no root on https://$mgmt/roots/0"
printf '%s\n' "$root" > "$dir/pebble-roots/$(printf '%s' "$root" | sha256sum | cut -c1-16).pem"
cat "$dir"/pebble-roots/*.pem > "$dir/pebble-root.pem"
