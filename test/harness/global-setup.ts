import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { HarnessError } from "./errors";
import { images, imagesFile } from "./images";

const root = resolve(__dirname, "../..");

/**
 * Jest globalSetup of the integration project: makes the engine and images ready before any test
 * runs. Both scripts are idempotent and take seconds when nothing changed. harness/test.sh runs
 * them itself and sets SIMULIUM_HARNESS_READY=1 so they do not run twice.
 */
export default function globalSetup(): void {
  if (process.env.SIMULIUM_HARNESS_READY !== "1") {
    run("harness/engine.sh");
    run("harness/build-images.sh");
  }
  // This run's mark: the global teardown removes the multi-node cluster only if one of this
  // run's files used it (test/support/cluster.ts), never one another run (another checkout) uses.
  process.env.SIMULIUM_TEST_RUN_ID ??= `${process.pid}-${Date.now()}`;
  const map = images();
  process.stderr.write(`[harness] images from ${imagesFile()}: ${Object.values(map).join(" ")}\n`);
}

function run(script: string): void {
  const result = spawnSync("bash", [resolve(root, script)], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (result.error) throw new HarnessError(`cannot run ${script}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new HarnessError(`${script} failed (exit ${result.status ?? result.signal}); integration tests need it, see its output above`);
  }
}
