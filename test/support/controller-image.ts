import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * The controller image as an operator builds it: `docker build` of the repository's Dockerfile
 * on the harness's Node.js base, offline (npm reads a cache shipped in the context). Docker's
 * build cache makes a second build of the same sources (another test file) quick.
 */
export const CONTROLLER_IMAGE = "simulium/controller:local";
const npmCache = process.env.SIMULIUM_NPM_CACHE ?? "/var/cache/simulium-npm";

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, { encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/** Builds CONTROLLER_IMAGE on the host engine; the seconds it took. */
export function buildControllerImage(): number {
  const cache = fillNpmCache();
  const root = mkdtempSync(path.join(os.tmpdir(), "simulium-controller-image-"));
  try {
    const context = path.join(root, "context");
    mkdirSync(context);
    for (const f of ["Dockerfile", ".dockerignore", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "controller", "schemas"]) {
      cpSync(f, path.join(context, f), { recursive: true });
    }
    // Hard links: the context gets the cache without copying 80+ MB.
    execFileSync("cp", ["-al", cache, path.join(context, ".npm-cache")]);
    const started = Date.now();
    run("docker", ["build", "-q", "--build-arg", "BASE=simulium/node:local", "-t", CONTROLLER_IMAGE, context], { ...process.env, DOCKER_BUILDKIT: "0" });
    return (Date.now() - started) / 1000;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Fills an npm cache holding every locked package, once per lock file, using the host's registry access. */
function fillNpmCache(): string {
  const lock = readFileSync("package-lock.json");
  const stamp = path.join(npmCache, "lock.sha256");
  const digest = createHash("sha256").update(lock).digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === digest) return path.join(npmCache, "cache");
  const work = path.join(npmCache, "work");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync("package.json", path.join(work, "package.json"));
  writeFileSync(path.join(work, "package-lock.json"), lock);
  execFileSync("npm", ["ci", "--cache", path.join(npmCache, "cache"), "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: work, stdio: "ignore" });
  rmSync(work, { recursive: true, force: true });
  writeFileSync(stamp, digest);
  return path.join(npmCache, "cache");
}
