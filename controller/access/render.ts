import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { LABEL } from "../desired/labels";
import { DB_PORT, names, PMA_PASSWORD, SSH_HOST_KEY } from "../desired/names";
import { DEFAULT_SECRET_LENGTH, hostKeySecret, siteSecret, SitePart, SitePartContext, taskLabels } from "../desired/render";
import type { ResourceSpec, SecretSpec, ServiceShape, ServiceSpec } from "../desired/types";

const SSH_PORT = 22;
/** Where the SFTP image serves the volume: inside its chroot (harness/images/sftp). */
const SFTP_ROOT = "/srv/sftp/files";

/**
 * A site's access services, for those its manifest enables: SFTP, phpMyAdmin and SSH, with
 * the secrets only they use (phpMyAdmin's basic-auth password unless the manifest declares
 * it, the site's SSH host key). The access feature's part of every site (desired/render.ts
 * SitePart); without their spec hash: the caller labels every service the same way. Pure.
 */
export const accessResources: SitePart = (site, cluster, ctx) => {
  const access = site.access;
  if (!access) return [];
  const secrets: SecretSpec[] = [];
  const secretName = (logical: string): string => {
    const found = [...ctx.secrets, ...secrets].find((s) => s.logicalName === logical);
    if (!found) throw new Error(`internal: secret ${logical} of ${site.name} not rendered`);
    return found.name;
  };
  if (access.phpmyadmin && !ctx.secrets.some((s) => s.logicalName === PMA_PASSWORD)) {
    secrets.push(siteSecret(site, cluster, PMA_PASSWORD, { name: PMA_PASSWORD, generate: { length: DEFAULT_SECRET_LENGTH, rotation: 0 } }));
  }
  if (access.sftp || access.ssh) secrets.push(hostKeySecret(site, cluster));
  const services: ResourceSpec[] = [];
  if (access.sftp) services.push(sftpService(site, cluster, access.sftp, secretName(SSH_HOST_KEY), ctx));
  if (access.phpmyadmin) services.push(phpmyadminService(site, cluster, access.phpmyadmin, secretName, ctx));
  if (access.ssh) services.push(sshService(site, cluster, access.ssh, secretName, ctx));
  return [...secrets, ...services];
};

type Phpmyadmin = NonNullable<NonNullable<ResolvedSite["access"]>["phpmyadmin"]>;
type Ssh = NonNullable<NonNullable<ResolvedSite["access"]>["ssh"]>;
type Sftp = NonNullable<NonNullable<ResolvedSite["access"]>["sftp"]>;

function phpmyadminService(site: ResolvedSite, cluster: ResolvedCluster, pma: Phpmyadmin, secretName: (logical: string) => string, ctx: SitePartContext): ServiceSpec {
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
    secrets: [{ secretName: secretName(PMA_PASSWORD), target: PMA_PASSWORD }],
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

function sshService(site: ResolvedSite, cluster: ResolvedCluster, ssh: Ssh, secretName: (logical: string) => string, ctx: SitePartContext): ServiceSpec {
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
    secrets: [...web.secrets, { secretName: secretName(SSH_HOST_KEY), target: SSH_HOST_KEY, mode: 0o400 }].sort((a, b) => a.target.localeCompare(b.target)),
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

function sftpService(site: ResolvedSite, cluster: ResolvedCluster, sftp: Sftp, hostKey: string, ctx: SitePartContext): ServiceSpec {
  const shape: ServiceShape = {
    image: sftp.image,
    args: null,
    // Public keys are not secrets; the entrypoint writes them to a root-owned authorized_keys.
    env: { SFTP_AUTHORIZED_KEYS: sftp.keys.join("\n") },
    replicas: 1,
    mounts: [{ source: names.volume(site.name, sftp.volume), target: SFTP_ROOT, readOnly: false }],
    // Root-only: the server reads it; the chrooted user never could anyway.
    secrets: [{ secretName: hostKey, target: SSH_HOST_KEY, mode: 0o400 }],
    // The site's network only: no route to other sites or to Varnish.
    networks: [names.siteNetwork(site.name)],
    memoryBytes: null,
    nanoCpus: null,
    endpointMode: cluster.endpointMode,
    ports: [{ target: SSH_PORT, published: sftp.port, protocol: "tcp", mode: "host" }],
    constraints: [...site.placement.constraints].sort(),
    taskLabels: taskLabels(cluster, site.name, "sftp"),
    // A host port is bound by one task at a time: the old one stops first.
    update: { order: "stop-first", failureAction: "rollback", monitorSeconds: cluster.update.monitorSeconds, parallelism: 1, delaySeconds: 0 },
  };
  const labels = ctx.labels("sftp");
  return { kind: "service", site: site.name, name: names.service(site.name, "sftp"), role: "sftp", shape, labels };
}
