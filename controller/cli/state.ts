import { Command, InvalidArgumentError } from "commander";
import { connectDocker } from "../engine/docker";
import { readLive } from "../live/read";
import { loadRepo } from "../manifests/load";
import { effectiveCluster } from "../manifests/select";
import { recoverControllerSecrets } from "../jobs/recover-state";
import { recoverCerts } from "../tls/recover-certs";
import { resolveStateDir, StateStore } from "../state/store";

interface StateOptions {
  repo: string;
  instance?: string;
  stateDir?: string;
  timeout: string;
}

/**
 * `simulium state recover`: the way back from a lost state directory (jobs/recover-state.ts). The
 * daemon does the same by itself; the other commands fail closed and name this one.
 */
export function register(program: Command): void {
  const state = program.command("state").description("the controller's state directory").addHelpText("after", "\nExample:\n  $ simulium state recover --repo ~/sites --state-dir /var/lib/simulium\n");
  state
    .command("recover")
    .description("read the controller's secrets (Varnish admin secret, generated restic password) and the ordered certificates back from the swarm into a state directory that lost them")
    .addHelpText("after", "\nExample:\n  $ simulium state recover --repo ~/sites --state-dir /var/lib/simulium\n")
    .option("--repo <dir>", "manifests repository (a working tree)", ".")
    .option("--instance <name>", "controller instance (overrides simulium.yaml)")
    .option("--state-dir <dir>", "the state directory to restore; default $SIMULIUM_STATE_DIR or /var/lib/simulium")
    .option("--timeout <seconds>", "give up (and remove the job) after this long", "120")
    .action(async (opts: StateOptions) => {
      const timeout = Number(opts.timeout);
      if (!Number.isInteger(timeout) || timeout < 1) throw new InvalidArgumentError("--timeout must be whole seconds");
      const load = await loadRepo(opts.repo);
      const cluster = effectiveCluster(load, opts.instance);
      const docker = connectDocker();
      const store = new StateStore(resolveStateDir(opts.stateDir), cluster.instance, "read-write");
      const live = await readLive(docker, cluster.instance);
      const recovered = [
        ...(await recoverControllerSecrets(docker, cluster, store, live.secrets, { timeoutSeconds: timeout })),
        ...(await recoverCerts(docker, cluster, load, store, live, { timeoutSeconds: timeout, now: new Date() })),
      ];
      for (const r of recovered) {
        process.stdout.write(r.outcome === "present" ? `${r.name}: already in ${r.file}, left as it is\n` : `${r.name}: recovered from ${r.from} into ${r.file}\n`);
      }
    });
}
