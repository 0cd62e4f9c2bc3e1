import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * Under `set -o pipefail`, `producer | grep -q …` fails at random: grep exits at its first
 * match, the producer's next write gets SIGPIPE, and the pipeline reports 141 although the text
 * was there. cluster.sh's bridge check failed so on CI ("ipv4: Address already assigned"). The
 * harness's scripts give grep -q a here-string of the producer's output instead.
 */
const root = path.resolve(__dirname, "../../..");

function scripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return scripts(file);
    const text = readFileSync(file, "utf8");
    return text.startsWith("#!") && /\bpipefail\b/.test(text) ? [file] : [];
  });
}

/** `| grep` with -q (alone or among short options, or --quiet) on one line. */
function earlyExitGreps(text: string): number[] {
  const found: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (/\|\s*grep\s+(?:-[A-Za-z]+\s+)*(?:-[A-Za-z]*q[A-Za-z]*|--quiet)\b/.test(line)) found.push(i + 1);
  });
  return found;
}

test("the check finds grep -q at the end of a pipeline, and only there", () => {
  expect(earlyExitGreps('ip -o addr show | grep -qF " 10.0.0.1/24 " || ip addr add')).toEqual([1]);
  expect(earlyExitGreps("a\nls | grep -x -q name && b")).toEqual([2]);
  expect(earlyExitGreps('x | grep --quiet y')).toEqual([1]);
  expect(earlyExitGreps('grep -qF "x" <<<"$(ip netns list)"')).toEqual([]);
  expect(earlyExitGreps("ls | grep -c name")).toEqual([]);
});

test("no harness script running under pipefail ends a pipeline in grep -q", () => {
  const files = scripts(path.join(root, "harness"));
  expect(files.map((f) => path.relative(root, f))).toContain("harness/cluster.sh");
  const offending = files.flatMap((f) => earlyExitGreps(readFileSync(f, "utf8")).map((n) => `${path.relative(root, f)}:${n}`));
  expect(offending).toEqual([]);
});
