import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { LABEL } from "./labels";
import { names, PMA_PASSWORD, SSH_HOST_KEY } from "./names";
import type { Labels, ServiceShape, ServiceSpec } from "./types";

/** What the access services take from the rest of the site's rendering. */
export interface AccessContext {
  /** The site's web service as rendered: SSH mirrors its environment, volumes and secrets. */
  readonly web: ServiceSpec;
  /** Versioned Swarm name of one of the site's rendered secrets. */
  readonly secretName: (logical: string) => string;
  /** The site's service labels for a role (instance, site, role, stack, user labels). */
  readonly labels: (role: string) => Labels;
}

/** Where the phpMyAdmin image listens (harness/images/phpmyadmin). */
export const PHPMYADMIN_PORT = 80;
const SSH_PORT = 22;
const DB_PORT = "3306";

/**
 * phpMyAdmin and SSH services of a site, for those its manifest enables (without their spec
 * hash: the caller labels every service the same way). Pure.
 */
export function accessServices(site: ResolvedSite, cluster: ResolvedCluster, ctx: AccessContext): ServiceSpec[] {
  const out: ServiceSpec[] = [];
  if (site.access?.phpmyadmin) out.push(phpmyadminService(site, cluster, site.access.phpmyadmin, ctx));
  if (site.access?.ssh) out.push(sshService(site, cluster, site.access.ssh, ctx));
  return out;
}

type Phpmyadmin = NonNullable<NonNullable<ResolvedSite["access"]>["phpmyadmin"]>;
type Ssh = NonNullable<NonNullable<ResolvedSite["access"]>["ssh"]>;

function phpmyadminService(site: ResolvedSite, cluster: ResolvedCluster, pma: Phpmyadmin, ctx: AccessContext): ServiceSpec {
  const shape: ServiceShape = {
    image: pma.image,
    args: null,
    env: {
      PMA_DB_HOST: names.service(site.name, "db"),
      PMA_DB_PORT: DB_PORT,
      PMA_AUTH_USER: pma.user,
      PMA_AUTH_PASSWORD_FILE: `/run/secrets/${PMA_PASSWORD}`,
    },
    replicas: 1,
    mounts: [],
    // Only the basic-auth password: the client signs in to the database with the site's user.
    secrets: [{ secretName: ctx.secretName(PMA_PASSWORD), target: PMA_PASSWORD }],
    // The site network reaches its database; Varnish reaches it on the tools network, which no
    // site's web tasks join (they are on the edge network): no site reaches another's tool.
    networks: [names.siteNetwork(site.name), names.toolsNetwork(cluster.instance)].sort(),
    memoryBytes: null,
    nanoCpus: null,
    endpointMode: cluster.endpointMode,
    ports: [],
    constraints: [...site.placement.constraints].sort(),
    taskLabels: taskLabels(cluster, site.name, "phpmyadmin"),
    // Like web: the new task runs before the old one stops, and the VCL follows the tasks.
    update: { order: "start-first", failureAction: "rollback", monitorSeconds: cluster.update.monitorSeconds, parallelism: 1, delaySeconds: 0 },
  };
  // The domain rides on the service so Varnish keeps routing it while the manifest is invalid.
  const labels = { ...ctx.labels("phpmyadmin"), [LABEL.domains]: pma.domain };
  return { kind: "service", site: site.name, name: names.service(site.name, "phpmyadmin"), role: "phpmyadmin", shape, labels };
}

function sshService(site: ResolvedSite, cluster: ResolvedCluster, ssh: Ssh, ctx: AccessContext): ServiceSpec {
  const web = ctx.web.shape;
  const shape: ServiceShape = {
    image: ssh.image,
    args: null,
    // The web's environment, so drush, cv and the MariaDB client find the site as the web does;
    // public keys are not secrets, the entrypoint writes them to a root-owned authorized_keys.
    // The writable volumes' top directories are handed to the login user (as SFTP does), so
    // a developer can write where the website writes.
    env: {
      ...web.env,
      SSH_AUTHORIZED_KEYS: ssh.keys.join("\n"),
      SSH_WRITABLE_PATHS: web.mounts.filter((m) => !m.readOnly).map((m) => m.target).join("\n"),
    },
    replicas: 1,
    // Same volumes at the same paths, same secrets (never the database root password), and
    // the site's host key.
    mounts: web.mounts,
    // Root-only: the developers' shell must not read the key that proves the server's identity.
    secrets: [...web.secrets, { secretName: ctx.secretName(SSH_HOST_KEY), target: SSH_HOST_KEY, mode: 0o400 }].sort((a, b) => a.target.localeCompare(b.target)),
    // The site's network only: the database, not other sites or Varnish.
    networks: [names.siteNetwork(site.name)],
    memoryBytes: null,
    nanoCpus: null,
    endpointMode: cluster.endpointMode,
    ports: [{ target: SSH_PORT, published: ssh.port, protocol: "tcp", mode: "host" }],
    constraints: web.constraints,
    taskLabels: taskLabels(cluster, site.name, "ssh"),
    // A host port is bound by one task at a time: the old one stops first.
    update: { order: "stop-first", failureAction: "rollback", monitorSeconds: cluster.update.monitorSeconds, parallelism: 1, delaySeconds: 0 },
  };
  return { kind: "service", site: site.name, name: names.service(site.name, "ssh"), role: "ssh", shape, labels: ctx.labels("ssh") };
}

function taskLabels(cluster: ResolvedCluster, site: string, role: string): Labels {
  return { [LABEL.instance]: cluster.instance, [LABEL.site]: site, [LABEL.role]: role };
}
