import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectDocker } from "../../controller/engine/docker";
import { isMutation } from "../../controller/plan/types";
import { planRepo } from "../../controller/features";
import { freePort, httpGet } from "../harness";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("pma");
const site = `${instance}-a`;
const webDomain = `${site}.test`;
const pmaDomain = `pma.${site}.test`;
let repo: TestRepo;
let stateDir: string;
let port: number;

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** Through the managed Varnish on the given host name. */
function get(host: string, headers: Record<string, string> = {}, urlPath = "/"): Promise<Answer> {
  return httpGet("127.0.0.1", port, urlPath, { Host: host, ...headers }, 15_000);
}

function post(host: string, urlPath: string, headers: Record<string, string>, form: Record<string, string>): Promise<Answer> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: urlPath,
        method: "POST",
        agent: false,
        timeout: 15_000,
        headers: { Host: host, "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(body), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`POST ${urlPath} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** `name=value` pairs of a response's Set-Cookie headers, merged over the ones already held. */
function cookies(answer: Answer, held: Record<string, string> = {}): Record<string, string> {
  const set = answer.headers["set-cookie"] ?? [];
  const out = { ...held };
  for (const c of Array.isArray(set) ? set : [set]) {
    const [pair] = c.split(";");
    const eq = (pair ?? "").indexOf("=");
    if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

const cookieHeader = (jar: Record<string, string>) => Object.entries(jar).filter(([, v]) => v !== "deleted").map(([k, v]) => `${k}=${v}`).join("; ");

beforeAll(async () => {
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-pma-state-"));
  port = await freePort();
  const access = `  access:\n    phpmyadmin: {domain: ${pmaDomain}, image: "simulium/phpmyadmin:local"}\n`;
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`),
    [`sites/${site}.yaml`]: `${siteYaml(site, { database: true })}${access}`,
  });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

test("phpMyAdmin answers through Varnish on its own domain only with the password `credentials` prints, and the client logs in with the site's database user", async () => {
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("phpmyadmin"), { stateDir });
  expect(out.result.ok).toBe(true);

  // Nothing without the password; Varnish routes the domain as soon as the task runs.
  const anonymous = await waitFor(async () => {
    const r = await get(pmaDomain);
    return r.status === 401 ? r : undefined;
  }, "phpMyAdmin's basic auth through Varnish", 120_000, 1000);
  expect(anonymous.headers["www-authenticate"]).toBe('Basic realm="phpMyAdmin"');
  expect(anonymous.body).not.toContain("pma_username");

  const printed = await cli("credentials", site, "phpmyadmin", "--repo", repo.dir, "--json");
  expect(printed.code).toBe(0);
  const creds = JSON.parse(printed.out) as { service: string; user: string; password: string };
  expect(creds.service).toBe(`${site}_phpmyadmin`);
  expect(creds.user).toBe("admin");
  expect(creds.password).toMatch(/^\S{32}$/);
  // The same value the service mounts: the job read the secret the swarm has.
  const mounted = await execInService(docker, `${site}_phpmyadmin`, ["cat", "/run/secrets/pma-password"]);
  expect(mounted.output).toBe(creds.password);

  expect((await get(pmaDomain, { Authorization: basic("admin", `${creds.password}x`) })).status).toBe(401);
  expect((await get(pmaDomain, { Authorization: basic("root", creds.password) })).status).toBe(401);

  const auth = { Authorization: basic(creds.user, creds.password) };
  const login = await get(pmaDomain, auth);
  expect(login.status).toBe(200);
  expect(login.body).toContain("<title>phpMyAdmin");
  expect(login.body).toContain('name="pma_username"');
  // Never cached: two answers are two fresh fetches, and neither is a hit.
  expect(login.headers["x-cache"]).toBe("MISS");
  expect((await get(pmaDomain, auth)).headers["x-cache"]).toBe("MISS");

  // The login form signs in to the site's own database with the site's user.
  const signIn = async (user: string, password: string): Promise<Answer> => {
    const form = await get(pmaDomain, auth);
    const token = /name="token" value="([0-9a-f]+)"/.exec(form.body)?.[1];
    if (!token) throw new Error("no token on the login page");
    let jar = cookies(form);
    const posted = await post(pmaDomain, "/index.php?route=/", { ...auth, Cookie: cookieHeader(jar) }, {
      set_session: jar.phpMyAdmin ?? "",
      pma_username: user,
      pma_password: password,
      server: "1",
      route: "/",
      token,
    });
    jar = cookies(posted, jar);
    return get(pmaDomain, { ...auth, Cookie: cookieHeader(jar) });
  };
  const dbPassword = (await execInService(docker, `${site}_web`, ["cat", "/run/secrets/db-password"])).output;
  // `credentials SITE database` prints the same user and password (read by a job without logs).
  const dbCreds = JSON.parse((await cli("credentials", site, "database", "--repo", repo.dir, "--json")).out) as { service: string; user: string; password: string };
  expect(dbCreds).toEqual({ service: `${site}_db`, user: "site", password: dbPassword });
  // The database may still be initialising on the first tries.
  const signedIn = await waitFor(async () => {
    const home = await signIn("site", dbPassword);
    return home.body.includes("route=/logout") ? home : undefined;
  }, "a phpMyAdmin login with the site's database user", 120_000, 3000);
  expect(signedIn.status).toBe(200);
  expect(signedIn.body).toContain(`${site}_db`);
  const refused = await signIn("site", `${dbPassword}x`);
  expect(refused.body).not.toContain("route=/logout");
  expect(refused.body).toContain('name="pma_username"');
  // Root is never let in through phpMyAdmin, whatever its password.
  const rootPassword = (await execInService(docker, `${site}_db`, ["cat", "/run/secrets/db-root-password"])).output;
  const asRoot = await signIn("root", rootPassword);
  expect(asRoot.body).not.toContain("route=/logout");
  expect(asRoot.body).toContain('name="pma_username"');

  // The site's web domain is the website, whatever the credentials.
  const web = await get(webDomain, auth);
  expect(web.body).toContain(`site: ${site}`);
  expect(web.body).not.toContain("phpMyAdmin");

  // Converged: a second plan has nothing to do.
  const { plan } = await planRepo(docker, repo.dir, { stateDir });
  expect(plan.actions.filter(isMutation)).toEqual([]);
});
