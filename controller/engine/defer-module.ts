/**
 * A CommonJS module that exports one function, loaded when that function is first called
 * instead of when its parent is required. For a dependency that requires at load time what
 * simulium never calls: dockerode loads BuildKit's gRPC session (@grpc/grpc-js, protobufjs)
 * and docker-modem the SSH transport (ssh2) on require, a third of `simulium plan`'s startup,
 * while simulium builds no images and connects by unix socket or TCP only (engine/docker.ts).
 *
 * The stand-in sits in the require cache under the real file's name: the parent's require
 * gets it, and its first call swaps the real module in and forwards the call (and every
 * later one). Already loaded (the module is in the cache): nothing to defer, left alone.
 */
export interface ModuleCache {
  [file: string]: { exports: unknown } | undefined;
}

export function deferModule(file: string, cache: ModuleCache, load: (file: string) => unknown): void {
  if (cache[file] !== undefined) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const standIn = function (this: unknown, ...args: unknown[]): unknown {
    if (real === undefined) {
      if (cache[file]?.exports === standIn) delete cache[file];
      const loaded = load(file);
      if (typeof loaded !== "function") throw new TypeError(`${file} does not export a function, it cannot be deferred`);
      real = loaded as (...args: unknown[]) => unknown;
    }
    return real.apply(this, args);
  };
  cache[file] = { exports: standIn };
}
