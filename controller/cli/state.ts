import { Command, InvalidArgumentError } from "commander";
import { connectDocker } from "../engine/docker";
import { loadRegistryAuth } from "../engine/registry-auth";
import { readSecretThroughJob } from "../jobs/read-secret-job";
import { recoveryJobSpec } from "../jobs/recover-job";
import { readLive } from "../live/read";
import { loadRepo } from "../manifests/load";
import { effectiveCluster } from "../manifests/select";
import { LABEL } from "../desired/labels";
import { ControllerSecretName, hashOfValue } from "../state/controller-secret";
import { resolveStateDir, StateStore } from "../state/store";

interface StateOptions {
  repo: string;
  instance?: string;
  stateDir?: string;
  timeout: string;
}

/**
 * `simulium state recover`: the way back from a lost state directory. The controller's
 * secrets still exist on the swarm, which never gives a secret's value back; a one-off job
 * that mounts the secret does, through an exec stream of a job whose log driver is "none"
 * (jobs/read-secret-job.ts). The value is checked against the hash in the secret's name and
 * written only where no file is: nothing is ever replaced.
 */
export function register(program: Command): void {
  const state = program.command("state").description("the controller's state directory").addHelpText("after", "\nExample:\n  $ simulium state recover --repo ~/sites --state-dir /var/lib/simulium\n");
  state
    .command("recover")
    .description("read the controller's secrets (Varnish admin secret, generated restic password) back from the swarm into a state directory that lost them")
    .addHelpText("after", "\nExample:\n  $ simulium state recover --repo ~/sites --state-dir /var/lib/simulium\n")
    .option("--repo <dir>", "manifests repository (a working tree)", ".")
    .option("--instance <name>", "controller instance (overrides simulium.yaml)")
    .option("--state-dir <dir>", "the state directory to restore; default $SIMULIUM_STATE_DIR or /var/lib/simulium")
    .option("--timeout <seconds>", "give up (and remove the job) after this long", "120")
    .action(async (opts: StateOptions) => {
      const timeout = Number(opts.timeout);
      if (!Number.isInteger(timeout) || timeout < 1) throw new InvalidArgumentError("--timeout must be whole seconds");
      const cluster = effectiveCluster(await loadRepo(opts.repo), opts.instance);
      const docker = connectDocker();
      const store = new StateStore(resolveStateDir(opts.stateDir), cluster.instance, "read-write");
      const live = await readLive(docker, cluster.instance);
      const auth = await loadRegistryAuth(cluster.registryAuth?.configFile);
      const images: Record<ControllerSecretName, string | undefined> = { "varnish-secret": cluster.varnish.image, "restic-password": cluster.backup?.image };
      for (const name of ["varnish-secret", "restic-password"] as const) {
        const onSwarm = live.secrets.filter((s) => s.site === null && s.labels[LABEL.secret] === name);
        if (onSwarm.length === 0) continue;
        if (store.read(name) !== undefined) {
          process.stdout.write(`${name}: already in ${store.path(name)}, left as it is\n`);
          continue;
        }
        if (onSwarm.length > 1) throw new Error(`${name}: the swarm has ${onSwarm.map((s) => s.name).join(", ")}; recover needs exactly one`);
        const secret = onSwarm[0] as (typeof onSwarm)[number];
        const image = images[name];
        if (image === undefined) throw new Error(`${name}: simulium.yaml names no image to read it with (${name === "varnish-secret" ? "spec.varnish.image" : "spec.backup.image"})`);
        const imageAuth = auth(image);
        const value = await readSecretThroughJob(docker, {
          job: recoveryJobSpec(cluster.instance, image, secret.name, name),
          target: name,
          kind: "state-recover",
          timeoutSeconds: timeout,
          ...(imageAuth ? { auth: imageAuth } : {}),
        });
        // The name carries a hash of the value: a value that does not match it is not that secret's.
        if (hashOfValue(value) !== secret.labels[LABEL.specHash]) throw new Error(`${name}: the value read from ${secret.name} does not match its hash; nothing was written`);
        store.createOnce(name, value);
        process.stdout.write(`${name}: recovered from ${secret.name} into ${store.path(name)}\n`);
      }
    });
}
