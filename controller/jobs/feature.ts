import type Docker from "dockerode";
import type { Feature, StepContext } from "../reconcile/feature";
import { BackupHooks, deployHooks } from "./hooks";
import { redactKnown, siteSecretValues } from "./redact-output";

/**
 * The sites' deploy hooks (commands, and backups before a deploy) in a reconcile: the same for
 * the daemon's reconciles and `simulium apply`, so a code update migrates its database
 * whichever way it is deployed. `backups` comes from the backup feature (backup/hook.ts).
 */
export function hooksFeature(backups: (docker: Docker, step: StepContext) => BackupHooks | undefined): Feature {
  return {
    name: "hooks",
    deployHooks(docker, step) {
      // Hook output is stored (labels, /status, logs): the values the controller knows are taken out.
      const known = siteSecretValues(step.desired, step.secretValue);
      return deployHooks(docker, step.load.sites, step.auth, step.log, backups(docker, step), (site, text) => redactKnown(text, known(site)));
    },
  };
}
