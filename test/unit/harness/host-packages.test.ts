import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { shellCommands } from "./shell-commands";
import { scanSpawns, SourceFile } from "./spawn-calls";

/**
 * harness/host-packages is the one list of host programs the harness installs (engine.sh,
 * ensure_host_packages). A fresh machine runs `npm test` only if every program a test, the
 * bench, a script, the controller (the demo runs it) or a harness script starts is on that list
 * or always present; and a program nobody runs any more leaves the list.
 */
const root = join(__dirname, "..", "..", "..");

// Present on every machine `npm test` runs on: .ci/run's preconditions (Node.js with npm) and
// Debian 12's Essential/required packages (each program's package named for the reader).
const ALWAYS_PRESENT: Record<string, string> = {
  node: "Node.js (precondition)",
  npm: "Node.js (precondition)",
  npx: "Node.js (precondition)",
  bash: "bash",
  sh: "dash",
  awk: "mawk",
  sed: "sed",
  grep: "grep",
  find: "findutils",
  tar: "tar",
  gzip: "gzip",
  flock: "util-linux",
  setsid: "util-linux",
  unshare: "util-linux",
  nsenter: "util-linux",
  mount: "mount",
  umount: "mount",
  "dpkg-deb": "dpkg",
  "apt-get": "apt",
  ...Object.fromEntries(
    "base64 basename cat chmod chroot cp cut dirname echo head id install ln mkdir mkfifo mktemp mv nproc printf pwd readlink rm seq sha256sum sleep sort stat tail timeout tr true false uname wc".split(" ").map((p) => [p, "coreutils"]),
  ),
};
const BUILTINS = new Set(
  "[ . : source cd set local export readonly declare read mapfile readarray trap exit return break continue printf echo true false test command exec wait shift eval unset type hash umask kill".split(" "),
);

type Entry = { pkg: string; command: string; line: number };

/** harness/host-packages as lib.sh's host_packages reads it: `package:command`, `#` comments. */
function parseHostPackages(text: string): Entry[] {
  return text.split("\n").flatMap((raw, i) => {
    const spec = raw.replace(/#.*/, "").trim().split(/\s+/)[0] ?? "";
    if (spec === "") return [];
    const [pkg = "", command = ""] = spec.split(":");
    return [{ pkg, command, line: i + 1 }];
  });
}

function walk(dir: string, keep: (rel: string) => boolean): string[] {
  return (readdirSync(join(root, dir), { recursive: true }) as string[])
    .map((rel) => posix.join(dir, rel.split("\\").join("/")))
    .filter((rel) => !rel.split("/").includes("node_modules") && keep(rel))
    .sort();
}

const read = (path: string): SourceFile => ({ path, text: readFileSync(join(root, path), "utf8") });

// Sources: TypeScript and JavaScript the tests, the bench, the scripts and the controller run.
const sources = ["test", "bench", "scripts", "controller"].flatMap((d) => walk(d, (f) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(f) && !f.endsWith(".d.ts"))).map(read);
// Scripts that run on the host. An image's setup.sh and files/ run inside the image's rootfs.
const scripts = [...walk("harness", (f) => f.endsWith(".sh") && !/^harness\/images\/[^/]+\/(setup\.sh$|files\/)/.test(f)), ".ci/run"].map(read);

type Use = { program: string; where: string };

function hostPrograms(): { uses: Use[]; unresolved: string[] } {
  const uses: Use[] = [];
  const unresolved: string[] = [];
  const spawned = scanSpawns(sources);
  for (const s of spawned.spawns) uses.push({ program: s.program, where: `${s.file}:${s.line}` });
  for (const b of browserLaunches(sources)) uses.push(b);
  for (const u of spawned.unresolved) unresolved.push(`${u.file}:${u.line}: ${u.program}`);
  const scans = scripts.map((s) => ({ file: s, scan: shellCommands(s.text) }));
  const functions = new Set(scans.flatMap((s) => s.scan.functions));
  for (const { file, scan } of scans) {
    for (const c of scan.commands) if (!functions.has(c.name)) uses.push({ program: c.name, where: `${file.path}:${c.line}` });
    const lines = file.text.split("\n");
    const annotation = (line: number): string | undefined => /host-program:\s*([\w.+/-]+)/.exec(`${lines[line - 2] ?? ""}\n${lines[line - 1] ?? ""}`)?.[1];
    for (const d of scan.dynamic) {
      // "$var": the annotation may sit at var's assignment instead of at each use.
      const variable = /^"?\$\{?([A-Za-z_]\w*)\}?"?$/.exec(d.name)?.[1];
      const assigned = variable === undefined ? -1 : lines.findIndex((l) => new RegExp(`^\\s*(local\\s+)?${variable}=`).test(l));
      const named = annotation(d.line) ?? (assigned === -1 ? undefined : annotation(assigned + 1));
      if (named !== undefined) uses.push({ program: named, where: `${file.path}:${d.line}` });
      else unresolved.push(`${file.path}:${d.line}: ${d.name}`);
    }
  }
  // The project's own npm binaries (node_modules/.bin) are not host programs.
  return { uses: uses.filter((u) => !u.program.startsWith("node_modules/")), unresolved };
}

/**
 * puppeteer-core starts the browser it is given (`executablePath`), not through child_process:
 * the path is a string literal or a const of the same file.
 */
function browserLaunches(files: readonly SourceFile[]): Use[] {
  const out: Use[] = [];
  for (const f of files) {
    if (!/from "puppeteer-core"/.test(f.text)) continue;
    for (const m of f.text.matchAll(/executablePath:\s*(?:"([^"]+)"|([A-Za-z_]\w*))/g)) {
      const program = m[1] ?? new RegExp(`const ${m[2] ?? ""}\\s*=\\s*"([^"]+)"`).exec(f.text)?.[1];
      const line = f.text.slice(0, m.index).split("\n").length;
      out.push({ program: program ?? `unresolved ${m[2] ?? ""}`, where: `${f.path}:${line}` });
    }
  }
  return out;
}

const entries = parseHostPackages(readFileSync(join(root, "harness", "host-packages"), "utf8"));
const basename = (program: string): string => program.split("/").pop() ?? program;

describe("harness/host-packages covers every host program that is run", () => {
  const { uses, unresolved } = hostPrograms();
  const listed = new Set(entries.map((e) => e.command));

  it("every program run by a test, the bench, a script, the controller or a harness script is listed or always present", () => {
    const uncovered = uses
      .filter((u) => {
        const name = basename(u.program);
        return !listed.has(name) && !(name in ALWAYS_PRESENT) && !BUILTINS.has(name);
      })
      .map((u) => `${u.program} (${u.where})`);
    expect(uncovered).toEqual([]);
  });

  it("reads the program of every spawn: none is computed where the scan cannot follow it", () => {
    expect(unresolved).toEqual([]);
  });

  it("lists nothing that nothing runs", () => {
    const run = new Set(uses.map((u) => basename(u.program)));
    expect(entries.filter((e) => !run.has(e.command)).map((e) => `${e.pkg}:${e.command} (line ${e.line})`)).toEqual([]);
  });

  it("finds the programs the integration tests are known to run, where they run them", () => {
    const at = (program: string): string[] => uses.filter((u) => basename(u.program) === program).map((u) => u.where.replace(/:\d+$/, ""));
    expect(at("varnishd")).toEqual(expect.arrayContaining(["test/support/vcl-compiler.ts", "test/integration/varnish-admin.test.ts"]));
    expect(at("sftp")).toContain("test/integration/access-sftp.test.ts");
    expect(at("docker-compose")).toContain("test/integration/compose-local.test.ts");
    expect(at("git")).toEqual(expect.arrayContaining(["test/support/repo.ts", "controller/source/git.ts"]));
    expect(at("chromium")).toContain("test/integration/dashboard-browser.test.ts");
    expect(at("dockerd")).toEqual(expect.arrayContaining(["harness/engine.sh", "test/integration/daemon-engine-restart.test.ts"]));
  });

  it("has well-formed entries: a Debian package name and a command name", () => {
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(`${e.pkg}:${e.command}`).toMatch(/^[a-z0-9][a-z0-9+.-]+:[A-Za-z0-9_.+-]+$/);
      expect(ALWAYS_PRESENT[e.command]).toBeUndefined();
    }
  });

  it("is read the same way by the install step (lib.sh host_packages)", () => {
    const r = spawnSync("bash", ["-c", 'source harness/lib.sh && host_packages'], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(entries.map((e) => `${e.pkg}:${e.command}`));
  });
});

describe("the spawn scan (TypeScript)", () => {
  const scan = (files: Record<string, string>) => scanSpawns(Object.entries(files).map(([path, text]) => ({ path, text })));
  const programs = (files: Record<string, string>) => scan(files).spawns.map((s) => `${s.file}:${s.line} ${s.program}`);

  it("reads literal programs, absolute paths, process.execPath and shell lines", () => {
    const src = [
      'import { spawn, execFileSync as efs, execSync } from "node:child_process";',
      'spawn("/usr/sbin/varnishd", ["-C"]);',
      'efs(process.execPath, ["x.js"]);',
      'execSync("openssl rand -hex 8");',
    ].join("\n");
    expect(programs({ "a.ts": src })).toEqual(["a.ts:2 /usr/sbin/varnishd", "a.ts:3 node", "a.ts:4 openssl"]);
  });

  it("follows consts, promisify aliases, namespace imports and wrappers with the program as any parameter", () => {
    const src = [
      'import * as cp from "child_process";',
      'import { execFile } from "node:child_process";',
      'import { promisify } from "node:util";',
      'const VARNISHD = process.env.VARNISHD ?? "/usr/sbin/varnishd";',
      "const run = promisify(execFile);",
      "async function client(label: string, file: string) { return run(file, []); }",
      "const later = (cmd: string) => client('x', cmd);",
      "cp.spawnSync(VARNISHD, []);",
      'client("x", "sftp");',
      'later("ssh-keyscan");',
    ].join("\n");
    expect(programs({ "b.ts": src })).toEqual(["b.ts:8 /usr/sbin/varnishd", "b.ts:9 sftp", "b.ts:10 ssh-keyscan"]);
  });

  it("follows a wrapper exported by another scanned file, and simple-git", () => {
    const lib = 'import { execFile } from "node:child_process";\nexport function run(cmd: string, args: string[]) { execFile(cmd, args); }';
    const user = 'import { run } from "./lib";\nimport { simpleGit } from "simple-git";\nrun("docker", ["info"]);';
    expect(programs({ "bench/lib.ts": lib, "bench/use.ts": user })).toEqual(["bench/use.ts:2 git", "bench/use.ts:3 docker"]);
  });

  it("does not mistake other exec methods (RegExp, the Docker API) for a spawn", () => {
    const src = 'const m = /a/.exec("a");\nawait container.exec({ Cmd: ["sh"] });\nfunction exec(x: string) { return x; }\nexec("curl");';
    expect(scan({ "c.ts": src })).toEqual({ spawns: [], unresolved: [] });
  });

  it("reports a program it cannot read, unless a host-program comment names it", () => {
    const src = [
      'import { spawn } from "node:child_process";',
      "const argv = ['dockerd'];",
      "spawn(argv[0] ?? '', []);",
      "// host-program: dockerd",
      "spawn(argv[0] ?? '', []);",
    ].join("\n");
    expect(scan({ "d.ts": src })).toEqual({ spawns: [{ file: "d.ts", line: 5, program: "dockerd" }], unresolved: [{ file: "d.ts", line: 3, program: "argv[0] ?? ''" }] });
  });

  it("skips the project's own npm binaries", () => {
    const src = 'import { execFileSync } from "node:child_process";\nexecFileSync(path.join("node_modules", ".bin", "tsc"), []);';
    expect(programs({ "e.ts": src })).toEqual(["e.ts:2 node_modules/.bin"]);
  });
});

describe("the command scan (bash)", () => {
  const names = (text: string) => shellCommands(text).commands.map((c) => c.name);

  it("reads commands after separators, keywords, assignments and prefixes, and inside substitutions", () => {
    const text = [
      "set -euo pipefail",
      'x="$(dirname "$0")" && DEBIAN_FRONTEND=noninteractive apt-get install -y varnish',
      "if ! timeout 10 docker info >/dev/null 2>&1; then setsid dockerd --pidfile /run/d.pid & fi",
      "for r in $(seq 1 3); do sleep 1; done",
      "mapfile -t roles < <(find . -type d)",
      "tar -c . \\",
      "  | docker import - img",
      "`hostname`",
    ].join("\n");
    expect(names(text)).toEqual(["set", "dirname", "apt-get", "timeout", "docker", "setsid", "dockerd", "seq", "sleep", "mapfile", "find", "tar", "docker", "hostname"]);
  });

  it("does not take arguments, quoted text, redirection targets, case patterns, arrays or [[ ]] for commands", () => {
    const text = [
      "command -v curl >/dev/null || echo 'ssh; rsync' \"scp && wget\"",
      'case "$state" in',
      "  active) ;;",
      '  "$hash"|local) log ok ;;',
      "  *) die \"x\" ;;",
      "esac",
      'case " ${m[*]} " in *" $p "*) ;; *) m+=("$p") ;; esac',
      "local roles=(\"$@\") built=()",
      "[[ -n $x && -z $y ]] && true",
      "cat <<EOF",
      "openssl is not run here",
      "EOF",
      "exec 9>\"$lock\"",
      "exec {fd}>\"$lock\" && exec {fd}>&-",
      "trap 'rm -rf \"$out\"' EXIT",
    ].join("\n");
    expect(names(text)).toEqual(["command", "echo", "log", "die", "local", "true", "cat", "exec", "exec", "exec", "trap"]);
  });

  it("lists function definitions and commands computed at run time", () => {
    const r = shellCommands('main() {\n  "$node_bin" --version\n}\nfunction other { :; }\nmain "$@"');
    expect(r.functions).toEqual(["main", "other"]);
    expect(r.dynamic).toEqual([{ name: '"$node_bin"', line: 2 }]);
    expect(r.commands.map((c) => c.name)).toEqual([":", "main"]);
  });
});
