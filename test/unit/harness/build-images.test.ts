import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * harness/build-images.sh builds the missing images several at a time, on one shared base. Run
 * here against stubs on PATH (debootstrap, chroot, docker, id, mount) in a temporary copy of the harness with made-up
 * recipes, so what is checked is the script's own scheduling, failure reporting and cache
 * handling, in milliseconds and without root, network or engine.
 */
const root = join(__dirname, "..", "..", "..");

// The stub engine keeps its images as files: $STUB/images/<repo>:<tag> holds the image id.
const DOCKER = `#!/bin/bash
set -e
img="$STUB/images"; mkdir -p "$img"
key() { printf '%s' "$1" | tr '/' '_'; }
case "$1" in
  info) exit 0 ;;
  image)
    case "$2" in
      inspect) shift 2; [ "$1" = -f ] && shift 2; [ -f "$img/$(key "$1")" ] || exit 1; echo 1000000 ;;
      ls) repo="$(key "\${!#}")"; for f in "$img/$repo":*; do [ -f "$f" ] && echo "\${f##*:}"; done; true ;;
      rm) rm -f "$img/$(key "$3")" ;;
    esac ;;
  import) tag="\${!#}"; cat > /dev/null; echo "$RANDOM" > "$img/$(key "$tag")"; echo "import $tag" >> "$STUB/events" ;;
  tag) cp "$img/$(key "$2")" "$img/$(key "$3")" ;;
  *) echo "stub docker: unexpected $*" >&2; exit 2 ;;
esac
`;

// The shared base: one minbase debootstrap per run ("base" events), with apt's lists.
const DEBOOTSTRAP = `#!/bin/bash
set -e
for a in "$@"; do case "$a" in --cache-dir=*) cache="\${a#--cache-dir=}" ;; --include=*) echo "unexpected --include" >&2; exit 2 ;; esac; done
target="\${@: -2:1}"
echo "base-start \${target##*/}" >> "$STUB/events"
mkdir -p "$target/var/lib/apt/lists" "$target/var/cache/apt/archives" "$target/proc" "$target/etc"
[ -e "$cache/minbase_1_all.deb" ] || echo "deb of minbase" > "$cache/minbase_1_all.deb"
echo "base-end" >> "$STUB/events"
`;

// chroot: "apt-get update" in the base is recorded; "apt-get install" is a role's build: it records
// when it runs and the archive it was given, "downloads" one .deb per package plus a common one
// into that archive, and fails for the role named "broken". Anything else (setup.sh) passes.
const CHROOT = `#!/bin/bash
set -e
target="$1"; shift; role="\${target##*/}"
case " $* " in
  *" apt-get -s -q install "*)
    # apt's simulation, for the build order: one "Inst" line per package, 10 for a package named big*.
    args="$*"; for p in \${args##*--no-install-recommends }; do case "$p" in big*) for i in 1 2 3 4 5 6 7 8 9 10; do echo "Inst $p-$i"; done ;; *) echo "Inst $p" ;; esac; done ;;
  *" apt-get update "*) echo "update \${role}" >> "$STUB/events" ;;
  *" apt-get install "*)
    cache="$target/var/cache/apt/archives"
    args="$*"; pkgs="\${args##*--no-install-recommends }"
    echo "start $role $cache" >> "$STUB/events"
    ls "$cache" > "$STUB/seen-$role"
    sleep 0.4
    mkdir -p "$target/usr/bin" && echo "$role" > "$target/usr/bin/role"
    if [ "$role" = broken ]; then echo "E: Unable to locate package no-such-package" >&2; echo "end $role" >> "$STUB/events"; exit 100; fi
    for p in common $pkgs; do [ -e "$cache/\${p}_1_all.deb" ] || echo "deb of $p" > "$cache/\${p}_1_all.deb"; done
    echo "end $role" >> "$STUB/events" ;;
esac
`;

type Run = { status: number | null; stderr: string; events: string[]; dir: string };

function harness(roles: Record<string, string[]>): string {
  const dir = mkdtempSync(join(tmpdir(), "build-images-"));
  const h = join(dir, "harness");
  mkdirSync(join(h, "images"), { recursive: true });
  copyFileSync(join(root, "harness", "build-images.sh"), join(h, "build-images.sh"));
  copyFileSync(join(root, "harness", "lib.sh"), join(h, "lib.sh"));
  writeFileSync(join(h, "host-packages"), "coreutils:cat\n");
  for (const [role, pkgs] of Object.entries(roles)) {
    mkdirSync(join(h, "images", role));
    writeFileSync(join(h, "images", role, "packages"), pkgs.join("\n") + "\n");
    writeFileSync(join(h, "images", role, "image.conf"), 'CMD ["/bin/true"]\n');
  }
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const stubs: Record<string, string> = { docker: DOCKER, debootstrap: DEBOOTSTRAP, chroot: CHROOT, id: "#!/bin/sh\necho 0\n", mount: "#!/bin/sh\nexit 0\n", umount: "#!/bin/sh\nexit 0\n" };
  for (const [name, text] of Object.entries(stubs)) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  mkdirSync(join(dir, "cache"));
  return dir;
}

function build(dir: string, roles: string[], jobs: number | string | undefined): Run {
  const { SIMULIUM_BUILD_JOBS: _inherited, ...env } = process.env;
  const r = spawnSync("bash", [join(dir, "harness", "build-images.sh"), ...roles], {
    encoding: "utf8",
    env: {
      ...env,
      PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`,
      STUB: dir,
      DOCKER_HOST: "",
      ...(jobs === undefined ? {} : { SIMULIUM_BUILD_JOBS: String(jobs) }),
      SIMULIUM_DEBOOTSTRAP_CACHE: join(dir, "cache"),
      SIMULIUM_HARNESS_STATE: join(dir, "state"),
      SIMULIUM_BUILD_DIR: join(dir, "build"),
    },
    timeout: 30_000,
  });
  const events = existsSync(join(dir, "events")) ? readFileSync(join(dir, "events"), "utf8").trim().split("\n") : [];
  return { status: r.status, stderr: r.stderr, events, dir };
}

/** The most builds that ran at the same time, from the stub's start/end lines. */
function peak(events: string[]): number {
  let now = 0;
  let most = 0;
  for (const e of events) {
    if (e.startsWith("start ")) most = Math.max(most, ++now);
    if (e.startsWith("end ")) now--;
  }
  return most;
}

const images = (dir: string): string[] => (existsSync(join(dir, "images")) ? readdirSync(join(dir, "images")).sort() : []);

describe("harness/build-images.sh", () => {
  const dirs: string[] = [];
  const make = (roles: Record<string, string[]>): string => {
    const d = harness(roles);
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("builds the missing images SIMULIUM_BUILD_JOBS at a time, then skips them on the next run", () => {
    const dir = make({ alpha: ["a1"], beta: ["b1"], gamma: ["c1"], delta: ["d1"] });
    const first = build(dir, ["alpha", "beta", "gamma", "delta"], 2);
    expect(first.stderr).toContain("building 4 images, 2 at a time");
    expect(first.status).toBe(0);
    expect(peak(first.events)).toBe(2);
    expect(first.events.filter((e) => e.startsWith("import "))).toHaveLength(4);
    for (const role of ["alpha", "beta", "gamma", "delta"]) expect(first.stderr).toMatch(new RegExp(`built simulium/${role}:[0-9a-f]{12} in \\d+ s`));
    expect(first.stderr).toMatch(/\(4\/4\)/);
    const map = JSON.parse(readFileSync(join(dir, "state", "images.json"), "utf8")) as Record<string, string>;
    expect(Object.keys(map).sort()).toEqual(["alpha", "beta", "delta", "gamma"]);
    expect(images(dir)).toEqual(expect.arrayContaining(["simulium_alpha:local", map.alpha?.replace("/", "_")]));

    rmSync(join(dir, "events"));
    const second = build(dir, ["alpha", "beta", "gamma", "delta"], 2);
    expect(second.status).toBe(0);
    expect(second.events).toEqual([]);
    expect(second.stderr).toContain("built none; up to date alpha beta gamma delta");
  });

  it("builds one image per CPU at a time by default, at least two, and refuses a bad SIMULIUM_BUILD_JOBS", () => {
    const cpus = Number(spawnSync("nproc", { encoding: "utf8" }).stdout.trim());
    const dir = make({ one: ["p1"], two: ["p2"], three: ["p3"] });
    const bad = build(dir, ["one"], "0");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("SIMULIUM_BUILD_JOBS must be a positive number, not '0'");
    const r = build(dir, ["one", "two", "three"], undefined);
    expect(r.status).toBe(0);
    const expected = Math.min(3, Math.max(2, cpus));
    expect(r.stderr).toContain(`building 3 images, ${expected} at a time`);
    expect(peak(r.events)).toBe(expected);
  });

  it("waits for every build when one fails, then exits non-zero naming the role with its log's tail", () => {
    const dir = make({ broken: ["x"], fine: ["f1"], other: ["o1"] });
    const r = build(dir, ["broken", "fine", "other"], 2);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/FAILED broken after \d+ s/);
    expect(r.stderr).toContain("E: Unable to locate package no-such-package");
    expect(r.stderr).toMatch(/error: building broken failed/);
    // The others were built, and tagged, although broken failed first.
    expect(r.events.filter((e) => e.startsWith("import ")).map((e) => e.split(/[ :]/)[1])).toEqual(expect.arrayContaining(["simulium/fine", "simulium/other"]));
    expect(images(dir)).toEqual(expect.arrayContaining(["simulium_fine:local", "simulium_other:local"]));
    expect(images(dir).some((i) => i.startsWith("simulium_broken"))).toBe(false);
    // An incomplete set writes no image map.
    expect(existsSync(join(dir, "state", "images.json"))).toBe(false);
  });

  it("bootstraps the base once, before any image, and each image installs only its own packages on a copy", () => {
    const dir = make({ one: ["p1"], two: ["p2", "q2"], three: ["p3"] });
    const r = build(dir, ["one", "two", "three"], 2);
    expect(r.status).toBe(0);
    expect(r.events.filter((e) => e.startsWith("base-start "))).toEqual(["base-start .base"]);
    const firstRole = r.events.findIndex((e) => e.startsWith("start "));
    expect(r.events.indexOf("base-end")).toBeLessThan(firstRole);
    expect(r.events.indexOf("update .base")).toBeLessThan(firstRole);
    expect(r.stderr).toMatch(/base: debootstrap bookworm minbase in \d+ s/);
    // The base is removed once every image is made; each role's copy with it.
    expect(existsSync(join(dir, "build", ".base"))).toBe(false);
    expect(readdirSync(join(dir, "cache"))).toEqual(expect.arrayContaining(["minbase_1_all.deb", "q2_1_all.deb"]));
    // No base for a run with nothing to build.
    rmSync(join(dir, "events"));
    expect(build(dir, ["one"], 2).events).toEqual([]);
  });

  it("starts the builds with the most packages to install first, the unpack-only ones last", () => {
    const dir = make({ alpha: ["a1"], beta: ["b1", "b2"], gamma: ["bigger"] });
    const r = build(dir, ["alpha", "beta", "gamma"], 1);
    expect(r.status).toBe(0);
    expect(r.events.filter((e) => e.startsWith("start ")).map((e) => e.split(" ")[1])).toEqual(["gamma", "beta", "alpha"]);
  });

  it("gives each image's apt its own archive, seeded from the shared cache, and keeps what it downloaded", () => {
    const dir = make({ one: ["p1"], two: ["p2"], three: ["p3"] });
    writeFileSync(join(dir, "cache", "seed_1_all.deb"), "deb of seed");
    const r = build(dir, ["one", "two", "three"], 3);
    expect(r.status).toBe(0);
    const caches = r.events.filter((e) => e.startsWith("start ")).map((e) => e.split(" ")[2] ?? "");
    expect(new Set(caches).size).toBe(3);
    expect(caches).not.toContain(join(dir, "cache"));
    for (const role of ["one", "two", "three"]) expect(readFileSync(join(dir, `seen-${role}`), "utf8")).toContain("seed_1_all.deb");
    expect(readdirSync(join(dir, "cache")).sort()).toEqual(["common_1_all.deb", "minbase_1_all.deb", "p1_1_all.deb", "p2_1_all.deb", "p3_1_all.deb", "seed_1_all.deb"]);
    expect(readFileSync(join(dir, "cache", "p2_1_all.deb"), "utf8")).toBe("deb of p2\n");
  });
});
