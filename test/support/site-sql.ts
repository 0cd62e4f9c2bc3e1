import type Docker from "dockerode";
import { execInService, waitFor } from "./swarm";

/** A shell command running `query` as the site's database user, in its web environment. */
export const siteSql = (query: string): string =>
  `mariadb -h "$DB_HOST" -u"$DB_USER" -p"$(cat "$DB_PASSWORD_FILE")" "$DB_NAME" -N -e ${JSON.stringify(query)}`;

/**
 * Runs `query` from the site's web service as soon as its database answers: after a first
 * deploy MariaDB is still initialising, so the first tries fail.
 */
export async function whenDatabaseAnswers(docker: Docker, site: string, query: string): Promise<void> {
  await waitFor(
    async () => {
      const r = await execInService(docker, `${site}_web`, ["sh", "-c", siteSql(query)]).catch(() => undefined);
      return r?.exitCode === 0 ? true : undefined;
    },
    "the database",
    180_000,
    2000,
  );
}
