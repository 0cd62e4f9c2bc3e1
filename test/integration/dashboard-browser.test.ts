import Docker from "dockerode";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import puppeteer, { Browser, Page } from "puppeteer-core";
import { RunningDaemon } from "../../controller/daemon/daemon";
import { startTestDaemon } from "../support/daemon";
import { freePort } from "../harness";
import { writeApiToken } from "../support/api-token";
import { clusterYaml, siteYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance } from "../support/swarm";

// The dashboard in a real browser (Debian's chromium, headless) against the real daemon on the
// test swarm: sign in with the API token, read the fleet table, open a site page, and watch a
// state change arrive without a reload. Screenshots go to test-artifacts/ (gitignored).
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.resolve(__dirname, "../../test-artifacts");
const docker = new Docker();
const instance = testInstance("db");
const good = `${instance}-good`;
const sick = `${instance}-sick`;
let stateDir = "";
let repo: TestRepo;
let daemon: RunningDaemon | undefined;
let browser: Browser | undefined;
let token = "";

/** The web image answers 404 on a missing path: Varnish's probe fails and the site is degraded. */
function site(name: string, healthPath: string): string {
  return siteYaml(name, { volumes: false, healthInterval: null, web: [`healthcheck: {path: ${healthPath}, interval: 1, timeout: 1}`] });
}

/** A browser-side expression (the test's TypeScript has no DOM types): the row of `site` shows `state`. */
function stateIs(site: string, state: string): string {
  return `document.querySelector(${JSON.stringify(`tr[data-site="${site}"] .state`)})?.textContent === ${JSON.stringify(state)}`;
}

/** The states the fleet table shows now, by site. */
function tableStates(page: Page): Promise<Record<string, string>> {
  return page.$$eval("table.fleet tbody tr[data-site]", (rows) =>
    Object.fromEntries(rows.map((r) => [r.getAttribute("data-site") ?? "", r.querySelector(".state")?.textContent ?? ""])),
  );
}

beforeAll(async () => {
  const port = await freePort();
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  mkdirSync(ARTIFACTS, { recursive: true });
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`),
    [`sites/${good}.yaml`]: site(good, "/healthz.php"),
    [`sites/${sick}.yaml`]: site(sick, "/no-such-page"),
  });
  await repo.commit("two sites, one <b>probed</b> on a missing path");
  const api = writeApiToken(stateDir);
  token = (api.headers.Authorization ?? "").replace(/^Bearer /, "");
  daemon = await startTestDaemon({
    repo: repo.dir,
    stateDir,
    docker,
    debounceMs: 200,
    apiTokenFile: api.file,
  });
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
});

afterAll(async () => {
  await browser?.close();
  await daemon?.stop();
  await removeInstance(docker, instance);
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test("sign in, see the fleet with each site's state, open a site, and see a state change arrive without a reload", async () => {
  if (!browser || !daemon) throw new Error("setup failed");
  const base = `http://127.0.0.1:${daemon.port}`;
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });

  // Without a session the dashboard sends the browser to the login form.
  await page.goto(`${base}/dashboard`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.type("#token", token);
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
  expect(new URL(page.url()).pathname).toBe("/dashboard");
  const cookies = await browser.cookies();
  const session = cookies.find((c) => c.name === "simulium_session");
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict" });
  expect(session?.value).not.toBe(token);

  // The table fills in as the daemon converges: refreshed in place, the page never reloads.
  await page.evaluate(`window.marker = "same page"`);
  await page.waitForFunction(`${stateIs(good, "converged")} && ${stateIs(sick, "degraded")}`, { timeout: 120_000, polling: 500 });
  expect(await tableStates(page)).toEqual({ [good]: "converged", [sick]: "degraded" });
  const row = await page.$eval(`tr[data-site="${sick}"]`, (r) => r.textContent ?? "");
  expect(row).toContain(`${sick}.test`);
  expect(row).toContain("varnish reports every backend sick");
  expect(row).toContain("0 healthy, 1 sick");
  expect(await page.$eval(`tr[data-site="${good}"] td[data-label="Domains"] a`, (a) => a.getAttribute("href"))).toBe(`http://${good}.test/`);
  await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-fleet.png"), fullPage: true });

  // The site page: its facts and its history (the deploy, with the commit's subject as text).
  const sitePage = await browser.newPage();
  await sitePage.goto(`${base}/dashboard/site/${sick}`);
  expect(await sitePage.$eval("h2", (h) => h.textContent)).toBe(sick);
  const history = await sitePage.$eval("table.history", (t) => t.textContent ?? "");
  expect(history).toContain("deployed");
  expect(history).toContain("two sites, one <b>probed</b> on a missing path");
  expect(await sitePage.$("table.history b")).toBeNull();
  // On a phone each site is a card of labelled lines.
  await sitePage.setViewport({ width: 390, height: 844, isMobile: true });
  await sitePage.goto(`${base}/dashboard`);
  await sitePage.screenshot({ path: path.join(ARTIFACTS, "dashboard-phone.png"), fullPage: true });
  expect(await sitePage.evaluate(`getComputedStyle(document.querySelector("table.fleet thead")).position`)).toBe("absolute");
  await sitePage.close();

  // A fix pushed: the open page shows the site converged by itself.
  repo.write(`sites/${sick}.yaml`, site(sick, "/healthz.php"));
  await page.waitForFunction(stateIs(sick, "converged"), { timeout: 120_000, polling: 500 });
  expect(await page.evaluate("window.marker")).toBe("same page");
  expect(await tableStates(page)).toEqual({ [good]: "converged", [sick]: "converged" });
  await page.screenshot({ path: path.join(ARTIFACTS, "dashboard-fleet-after.png"), fullPage: true });
});
