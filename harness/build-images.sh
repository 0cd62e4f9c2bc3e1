#!/usr/bin/env bash
# Builds the local images simulium's tests and demo run, from Debian packages only (no
# registry is reachable). One recipe folder per role under harness/images/<role>:
#   packages     Debian packages, one per line (# comments allowed)
#   image.conf   `docker import --change` lines (ENTRYPOINT, ENV, EXPOSE, ...), one per line
#   base         optional: "debootstrap" (default) or "scratch" (packages are only unpacked,
#                for static binaries such as busybox-static)
#   setup.sh     optional: runs inside the finished rootfs (chroot) after files/ is copied
#   files/       copied over the rootfs as is
#   host.sh      optional: copies files from the HOST into the rootfs (`host.sh copy ROOT`, before
#                setup.sh); `host.sh fingerprint` describes them and joins the recipe hash
# Each image is tagged simulium/<role>:<hash12> (hash of the recipe + suite + build format)
# and simulium/<role>:local. An existing hash tag means the build is skipped.
# The images to build are built SIMULIUM_BUILD_JOBS at a time (default: one per CPU, at least
# two), each into its own log file; a failed one is named with its log's tail, the others are
# still waited for, and the script then exits non-zero.
#
# Usage: build-images.sh [role ...]     (no roles: all of them)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

recipes="$here/images"
suite="${SIMULIUM_SUITE:-bookworm}"
cache_dir="${SIMULIUM_DEBOOTSTRAP_CACHE:-/var/cache/simulium-debootstrap}"
state_dir="${SIMULIUM_HARNESS_STATE:-/var/lib/simulium-harness}"
images_json="${SIMULIUM_IMAGES_JSON:-$state_dir/images.json}"
work_root="${SIMULIUM_BUILD_DIR:-/var/tmp/simulium-build}"
# Builds at once (debootstrap downloads while another build's dpkg installs; see docs/harness.md).
cpus="$(nproc 2>/dev/null || echo 1)"
jobs="${SIMULIUM_BUILD_JOBS:-$((cpus < 2 ? 2 : cpus))}"
# Bumped whenever this script changes what ends up in an image, so old hash tags stop matching.
build_format=2

all_roles() { find "$recipes" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort; }

# Hash of every recipe file's path, mode and content, plus the suite and build format.
recipe_hash() {
  local dir="$recipes/$1"
  {
    printf 'suite=%s format=%s\n' "$suite" "$build_format"
    (cd "$dir" && find . -type f -o -type l | LC_ALL=C sort | while read -r f; do
      printf '%s %s ' "$f" "$(stat -c %a "$f")"
      if [ -L "$f" ]; then readlink "$f"; else sha256sum < "$f"; fi
    done)
    if [ -f "$dir/host.sh" ]; then bash "$dir/host.sh" fingerprint; fi
  } | sha256sum | cut -c1-12
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

recipe_packages() {
  grep -v '^[[:space:]]*\(#\|$\)' "$recipes/$1/packages" | tr -s ' \t\n' ',' | sed 's/,$//'
}

# Drops what a container never reads, to keep images and imports small.
trim_rootfs() {
  local root="$1"
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/lintian "$root"/usr/share/linda "$root"/var/cache/man/* \
    "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/*
  find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} + 2>/dev/null || true
}

# The first stage every debootstrap role shares: one minbase debootstrap per run, with apt's
# package lists, copied for each role, which then installs only its own packages with apt. The
# base packages are unpacked and configured once instead of once per image (each image spent
# about half its build on them), and a small role (hitch, restic) takes seconds.
base_root="$work_root/.base"

build_base() {
  local started=$SECONDS own_cache="$cache_dir/.build-$$-base"
  remove_rootfs "$base_root"
  mkdir -p "$base_root/usr/sbin" "$base_root/etc/dpkg/dpkg.cfg.d"
  # Packages' maintainer scripts must not start daemons inside the build chroot.
  printf '#!/bin/sh\nexit 101\n' > "$base_root/usr/sbin/policy-rc.d"
  chmod 755 "$base_root/usr/sbin/policy-rc.d"
  # dpkg syncs every file it unpacks: thousands of fsyncs per image, for a rootfs that is
  # thrown away if the build fails anyway. Removed again before an image is made.
  echo force-unsafe-io > "$base_root/etc/dpkg/dpkg.cfg.d/simulium-build-unsafe-io"
  seed_cache "$own_cache"
  debootstrap --variant=minbase --cache-dir="$own_cache" "$suite" "$base_root" "$mirror" > "$work_root/base.log" 2>&1 \
    || { rm -rf "$own_cache"; tail -n 30 "$work_root/base.log" >&2; die "debootstrap of the base failed (full log: $work_root/base.log)"; }
  keep_downloads "$own_cache"
  # apt's lists, signed and checked with the keyring debootstrap installed, for the roles' installs.
  # Not their Valid-Until date: debootstrap never checks it either, and a snapshot mirror (such
  # as snapshot.debian.org, or this machine's) serves Release files long expired.
  cp /etc/resolv.conf "$base_root/etc/resolv.conf"
  chroot "$base_root" apt-get -o Acquire::Check-Valid-Until=false update -q >> "$work_root/base.log" 2>&1 \
    || { tail -n 30 "$work_root/base.log" >&2; die "apt-get update in the base failed (full log: $work_root/base.log)"; }
  log "base: debootstrap $suite minbase in $((SECONDS - started)) s, shared by the images built now"
  rm -f "$work_root/base.log"
}

# The debootstrap roles, most packages to install first (apt's own count, simulated in the base),
# then the unpack-only ones: a long build started last would hold the whole run up alone.
largest_first() {
  local role n
  local -a pkgs
  for role in "$@"; do
    if [ "$(cat "$recipes/$role/base" 2>/dev/null || echo debootstrap)" = scratch ]; then
      n=-1
    else
      read -r -a pkgs <<< "$(recipe_packages "$role" | tr ',' ' ')"
      n=0
      if [ "${#pkgs[@]}" -gt 0 ]; then
        n="$(chroot "$base_root" apt-get -s -q install --no-install-recommends "${pkgs[@]}" 2>/dev/null | grep -c '^Inst ' || true)"
      fi
    fi
    printf '%s %s\n' "${n:-0}" "$role"
  done | sort -s -k1,1nr | cut -d' ' -f2
}

rootfs_debootstrap() {
  local role="$1" root="$2" archives
  local -a pkgs
  read -r -a pkgs <<< "$(recipe_packages "$role" | tr ',' ' ')"
  [ -d "$base_root/var/lib/apt/lists" ] || die "internal: no base rootfs for $role"
  # A copy, not hard links: maintainer scripts edit files such as /etc/passwd in place.
  cp -a --reflink=auto "$base_root" "$root"
  # Builds run at once: each gets its own apt archive, seeded with hard links to the shared
  # cache; what it downloaded is linked back into the shared one when it succeeds.
  archives="$root/var/cache/apt/archives"
  seed_cache "$archives"
  mkdir -p "$archives/partial"
  if [ "${#pkgs[@]}" -gt 0 ]; then
    mount -t proc proc "$root/proc"
    local rc=0
    chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" \
      > "$root.debootstrap.log" 2>&1 || rc=$?
    umount "$root/proc"
    [ "$rc" = 0 ] || { tail -n 30 "$root.debootstrap.log" >&2; die "apt-get install for $role failed (full log: $root.debootstrap.log)"; }
  fi
  keep_downloads "$archives"
  mkdir -p "$archives/partial"
  rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/dpkg/dpkg.cfg.d/simulium-build-unsafe-io"
  # Docker mounts the container's own over it; the build host's is not shipped.
  : > "$root/etc/resolv.conf"
}

# A private cache directory holding every .deb of the shared cache (hard links: no copy, and
# debootstrap never writes into an existing file, it removes a corrupt one and downloads anew).
seed_cache() {
  local own="$1"
  rm -rf "$own"
  mkdir -p "$own"
  find "$cache_dir" -maxdepth 1 -type f -name '*.deb' -exec cp -l -t "$own" {} + 2>/dev/null \
    || find "$cache_dir" -maxdepth 1 -type f -name '*.deb' -exec cp -t "$own" {} +
}

# Links the .debs a successful debootstrap verified into the shared cache: each one renamed
# into place, so a build seeding its cache meanwhile sees the whole file or none.
keep_downloads() {
  local own="$1" deb name
  for deb in "$own"/*.deb; do
    [ -f "$deb" ] || continue
    name="${deb##*/}"
    [ "$deb" -ef "$cache_dir/$name" ] && continue
    # BASHPID: builds are subshells of this script and share its $$.
    ln -f "$deb" "$cache_dir/.$name.$BASHPID" 2>/dev/null || cp "$deb" "$cache_dir/.$name.$BASHPID"
    mv -f "$cache_dir/.$name.$BASHPID" "$cache_dir/$name"
  done
  rm -rf "$own"
}

# Private caches of builds that no longer run (killed): removed before this run makes its own.
drop_stale_caches() {
  local dir pid
  for dir in "$cache_dir"/.build-*; do
    [ -d "$dir" ] || continue
    pid="${dir##*/.build-}"; pid="${pid%%-*}"
    kill -0 "$pid" 2>/dev/null || rm -rf "$dir"
  done
}

# For static binaries: unpack the packages (no dependencies, no maintainer scripts).
rootfs_scratch() {
  local role="$1" root="$2" debs="$2.debs" pkg
  mkdir -p "$root" "$debs"
  for pkg in $(recipe_packages "$role" | tr ',' ' '); do
    (cd "$debs" && apt-get download "$pkg" >/dev/null 2>&1) || {
      apt-get update -qq >/dev/null
      (cd "$debs" && apt-get download "$pkg" >/dev/null) || die "apt-get download $pkg failed"
    }
  done
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  rm -rf "$debs"
}

# A failed debootstrap can leave /proc or /sys mounted inside the rootfs; never recurse into them.
remove_rootfs() {
  local root="$1" mnt
  for mnt in $(awk -v r="$root/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
    umount -l "$mnt" || die "cannot unmount $mnt; remove $root by hand"
  done
  rm -rf --one-file-system "$root" "$root.debs" "$root.debootstrap.log"
}

build_role() {
  local role="$1" tag="$2" dir="$recipes/$1" root base
  [ -f "$dir/packages" ] || die "recipe $role has no packages file"
  [ -f "$dir/image.conf" ] || die "recipe $role has no image.conf"
  [ "$(id -u)" = 0 ] || die "building $tag needs root (debootstrap/chroot); run as root"
  root="$work_root/$role"
  remove_rootfs "$root"
  mkdir -p "$work_root" "$cache_dir"
  base="$(cat "$dir/base" 2>/dev/null || echo debootstrap)"
  case "$base" in
    debootstrap) rootfs_debootstrap "$role" "$root" ;;
    scratch) rootfs_scratch "$role" "$root" ;;
    *) die "recipe $role: unknown base '$base' (debootstrap or scratch)" ;;
  esac
  if [ -d "$dir/files" ]; then cp -a "$dir/files/." "$root/"; fi
  if [ -f "$dir/host.sh" ]; then bash "$dir/host.sh" copy "$root" || die "host.sh of $role failed"; fi
  if [ -f "$dir/setup.sh" ]; then
    cp "$dir/setup.sh" "$root/setup.sh"
    # The shebang names the interpreter inside the rootfs (busybox has no /bin/sh yet).
    local interp
    interp="$(head -n1 "$dir/setup.sh" | sed -n 's/^#! *//p')"
    # shellcheck disable=SC2086 # the shebang may carry an argument (e.g. "/bin/busybox sh")
    chroot "$root" ${interp:-/bin/sh} /setup.sh || die "setup.sh of $role failed"
    rm -f "$root/setup.sh"
  fi
  trim_rootfs "$root"
  local changes=()
  while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    changes+=(-c "$line")
  done < "$dir/image.conf"
  tar --numeric-owner -C "$root" -c . \
    | docker import "${changes[@]}" -c "LABEL simulium.harness.recipe=$role" - "$tag" >/dev/null
  remove_rootfs "$root"
}

main() {
  local roles=("$@") role hash todo=() tags=() built=() skipped=()
  [ "${#roles[@]}" -gt 0 ] || mapfile -t roles < <(all_roles)
  for role in "${roles[@]}"; do
    [ -d "$recipes/$role" ] || die "unknown role '$role' (known: $(all_roles | tr '\n' ' '))"
  done
  [[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "SIMULIUM_BUILD_JOBS must be a positive number, not '$jobs'"
  docker_answers || die "no Docker engine answers; run harness/engine.sh first"

  mkdir -p "$state_dir"
  # Several test runs may start at once; one builds, the others then find the hash tags.
  exec 9>"$state_dir/build.lock"
  flock 9

  declare -A tag_of=()
  for role in "${roles[@]}"; do
    hash="$(recipe_hash "$role")"
    tag_of[$role]="simulium/$role:$hash"
    if image_exists "${tag_of[$role]}"; then skipped+=("$role"); else todo+=("$role"); fi
  done
  # Unpacked-only images take seconds: started last, they never hold a debootstrap back.
  mapfile -t todo < <(for role in "${todo[@]}"; do
    [ "$(cat "$recipes/$role/base" 2>/dev/null || echo debootstrap)" = scratch ] && echo "1 $role" || echo "0 $role"
  done | sort -s -k1,1n | cut -d' ' -f2)

  if [ "${#todo[@]}" -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "images ${todo[*]} are missing and building them needs root"
    ensure_host_packages
    mirror="$(debian_mirror)"
    mkdir -p "$work_root" "$cache_dir"
    drop_stale_caches
    for role in "${todo[@]}"; do
      if [ "$(cat "$recipes/$role/base" 2>/dev/null || echo debootstrap)" = debootstrap ]; then
        build_base
        mapfile -t todo < <(largest_first "${todo[@]}")
        break
      fi
    done
    for role in "${todo[@]}"; do tags+=("${tag_of[$role]}"); done
    build_all "${tags[@]}"
    remove_rootfs "$base_root"
    built=("${todo[@]}")
  fi

  for role in "${roles[@]}"; do
    docker tag "${tag_of[$role]}" "simulium/$role:local"
    untag_old_builds "$role" "${tag_of[$role]##*:}"
  done

  write_images_json
  log "images: built ${built[*]:-none}; up to date ${skipped[*]:-none}; map in $images_json"
  cat "$images_json"
}

# Builds the given tags, $jobs at a time, each into its own log ($work_root/<role>.log). The
# roles built fine are tagged :local even when another fails; then the failures are named with
# their logs' tails and the script exits non-zero (no images.json: the set is incomplete).
build_all() {
  local tags=("$@") total="$#" done_n=0 tag role pid rc busy failed=() running=() still=()
  declare -A role_of=() started_at=()
  local tty=""
  [ -t 2 ] && tty=1
  log "building $total image$([ "$total" = 1 ] || echo s), $((jobs < total ? jobs : total)) at a time, from $suite packages ($mirror): $(printf '%s ' "${tags[@]%%:*}" | sed 's|simulium/||g; s/ $//')"
  local next=0
  while [ "$next" -lt "$total" ] || [ "${#running[@]}" -gt 0 ]; do
    while [ "$next" -lt "$total" ] && [ "${#running[@]}" -lt "$jobs" ]; do
      tag="${tags[$next]}"; role="${tag#simulium/}"; role="${role%%:*}"
      next=$((next + 1))
      build_role "$role" "$tag" > "$work_root/$role.log" 2>&1 < /dev/null &
      pid=$!
      role_of[$pid]="$role"; started_at[$pid]=$SECONDS
      running+=("$pid")
      if [ -n "$tty" ]; then status_line ""; log "started $tag"; fi
    done
    # Polled, not `wait -n`: a terminal gets a status line that counts the seconds meanwhile.
    still=()
    for pid in "${running[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then still+=("$pid"); continue; fi
      rc=0; wait "$pid" || rc=$?
      role="${role_of[$pid]}"; tag="${tag_of[$role]}"
      done_n=$((done_n + 1))
      [ -z "$tty" ] || status_line ""
      if [ "$rc" = 0 ]; then
        log "built $tag in $((SECONDS - started_at[$pid])) s, $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}') ($done_n/$total)"
        docker tag "$tag" "simulium/$role:local"
        rm -f "$work_root/$role.log"
      else
        log "FAILED $role after $((SECONDS - started_at[$pid])) s ($done_n/$total); log: $work_root/$role.log"
        failed+=("$role")
      fi
    done
    running=("${still[@]}")
    if [ "${#running[@]}" -gt 0 ]; then
      if [ -n "$tty" ]; then
        busy=""
        for pid in "${running[@]}"; do busy+="${busy:+, }${role_of[$pid]} $((SECONDS - started_at[$pid])) s"; done
        status_line "building $busy; $done_n/$total done"
      fi
      sleep 0.5
    fi
  done
  [ "${#failed[@]}" -eq 0 ] && return 0
  for role in "${failed[@]}"; do
    printf '[harness] ---- last lines of %s ----\n' "$work_root/$role.log" >&2
    tail -n 20 "$work_root/$role.log" >&2
  done
  die "building ${failed[*]} failed (each role's log: $work_root/<role>.log)"
}

# One line on the terminal, redrawn in place ("" clears it before a log line is printed).
status_line() { printf '\r\033[K%s' "${1:+[harness] $1}" >&2; }

# Drops the tags of earlier recipe versions; an image still used by a container stays (untagged).
untag_old_builds() {
  local role="$1" hash="$2" old
  for old in $(docker image ls --format '{{.Tag}}' "simulium/$role"); do
    case "$old" in
      "$hash"|local) ;;
      [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f])
        docker image rm "simulium/$role:$old" >/dev/null 2>&1 || true ;;
    esac
  done
}

# Lists every role whose current recipe hash exists as an image, selected or not.
write_images_json() {
  local role tag first=1 tmp="$images_json.tmp.$$"
  {
    printf '{'
    for role in $(all_roles); do
      tag="simulium/$role:$(recipe_hash "$role")"
      image_exists "$tag" || continue
      [ "$first" = 1 ] || printf ','
      printf '\n  "%s": "%s"' "$role" "$tag"
      first=0
    done
    printf '\n}\n'
  } > "$tmp"
  mv "$tmp" "$images_json"
}

main "$@"
