import { DashboardSite, DashboardView, escapeHtml, renderFleetMain, renderFleetPage, renderLoginPage, renderSitePage } from "../../../controller/daemon/dashboard-render";

const NOW = "2026-11-30T12:00:00.000Z";

function site(over: Partial<DashboardSite> = {}): DashboardSite {
  return {
    site: "acme",
    state: "converged",
    lastError: null,
    domains: ["acme.example.org"],
    commit: { sha: "0123456789abcdef0123456789abcdef01234567", subject: "raise memory", author: "Ann", url: null },
    routing: { healthy: 2, sick: 0, tasks: 1, sickTasks: 0 },
    lastDeployAt: "2026-11-30T11:55:00.000Z",
    backup: { at: "2026-11-30T09:00:00.000Z", ok: true, message: "snapshot a1" },
    backupRuns: [],
    crons: [{ name: "drupal", schedule: "*/15 * * * *", runs: [{ startedAt: "2026-11-30T11:45:00.000Z", durationSeconds: 3.2, result: "failed", exitCode: 1, output: "boom" }] }],
    history: [],
    ...over,
  };
}

const view = (sites: DashboardSite[]): DashboardView => ({
  instance: "prod",
  now: NOW,
  commit: { sha: "0123456789abcdef0123456789abcdef01234567", subject: "raise memory", author: "Ann" },
  lastRun: { at: "2026-11-30T11:59:30.000Z", ok: true, error: null },
  sites,
});

const XSS = `<script>alert("x")</script><img src=x onerror=alert(1)>'"\``;

describe("dashboard pages", () => {
  it("renders one row per site with its state, domains as links, short sha, backends, deploy, backup and cron", () => {
    const html = renderFleetMain(view([site(), site({ site: "beta", state: "degraded", lastError: "varnish reports every backend sick", routing: { healthy: 0, sick: 1, tasks: 1, sickTasks: 1 } })]));
    expect(html).toContain(`<tr data-site="acme" data-state="converged">`);
    expect(html).toContain(`<tr data-site="beta" data-state="degraded">`);
    expect(html).toContain(`<a href="/dashboard/site/acme">acme</a>`);
    expect(html).toContain(`<a href="http://acme.example.org/">acme.example.org</a>`);
    expect(html).toContain(`<code>01234567</code> raise memory <span class="muted">Ann</span>`);
    expect(html).toContain(`<span class="bad">0 healthy, 1 sick</span>`);
    expect(html).toContain(`5 min ago`);
    expect(html).toMatch(/<span class="ok">ok<\/span> <time[^>]*>3 h ago<\/time>/);
    expect(html).toMatch(/drupal: <span class="bad">failed<\/span> <time[^>]*>15 min ago/);
    expect(html).toContain("varnish reports every backend sick");
    expect(html).toContain("<caption>2 sites</caption>");
    // No TLS data at all: no certificate column.
    expect(html).not.toContain("Certificate");
  });

  it("shows the certificate column once any site has TLS data (the TLS hook), and https links for it", () => {
    const html = renderFleetMain(view([site({ certificate: { notAfter: "2026-12-05T00:00:00.000Z" } }), site({ site: "beta", certificate: null })]));
    expect(html).toContain(`<th scope="col">Certificate</th>`);
    expect(html).toContain(`<span class="bad">expires in 4 d</span>`);
    expect(html).toContain(`<a href="https://acme.example.org/">`);
  });

  it("links the commit to the forge only with an http(s) URL", () => {
    const good = renderFleetMain(view([site({ commit: { sha: "abcdef0123", subject: "s", author: "a", url: "https://git.example.org/o/r/commit/abcdef0123" } })]));
    expect(good).toContain(`<a href="https://git.example.org/o/r/commit/abcdef0123"><code>abcdef01</code></a>`);
    const bad = renderFleetMain(view([site({ commit: { sha: "abcdef0123", subject: "s", author: "a", url: "javascript:alert(1)" } })]));
    expect(bad).not.toContain("javascript:");
  });

  it("escapes every attacker-controlled value: site names, domains, commit subjects and authors, errors, job output", () => {
    const evil = site({
      site: XSS,
      lastError: XSS,
      domains: [XSS, `x.org"><script>`],
      commit: { sha: XSS, subject: XSS, author: XSS, url: null },
      crons: [{ name: XSS, schedule: "* * * * *", runs: [{ startedAt: NOW, durationSeconds: 1, result: XSS, exitCode: 2, output: XSS }] }],
      history: [
        { kind: "deploy", at: NOW, commit: XSS, subject: XSS, author: XSS, ok: false, error: XSS },
        { kind: "state", at: NOW, from: XSS, to: XSS, error: XSS },
      ],
    });
    const v = { ...view([evil]), instance: XSS, commit: { sha: XSS, subject: XSS, author: XSS } };
    for (const html of [renderFleetPage(v), renderSitePage(v, evil)]) {
      expect(html).not.toMatch(/<script>alert|<img |onerror=alert\(1\)>/);
      expect(html).not.toContain(`"><script>`);
      // The only script is the page's own, by src.
      expect(html.match(/<script/g)).toEqual(["<script"]);
      expect(html).toContain("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;");
    }
    // A domain that is not a host name is text, never a link.
    expect(renderFleetMain(v)).not.toContain(`href="http://&#60;`);
  });

  it("escapes quotes, backticks and ampersands", () => {
    expect(escapeHtml(`a&b<c>"d'e\`f`)).toBe("a&#38;b&#60;c&#62;&#34;d&#39;e&#96;f");
  });

  it("a site page lists its history and its cron and backup runs, newest first, with the errors' text", () => {
    const s = site({
      backupRuns: [{ startedAt: "2026-11-30T09:00:00.000Z", durationSeconds: 12, result: "ok", exitCode: 0, output: "" }],
      history: [
        { kind: "state", at: "2026-11-30T11:58:00.000Z", from: "converged", to: "failed", error: "hook postDeploy drush updb exited 1: table missing" },
        { kind: "deploy", at: "2026-11-30T11:55:00.000Z", commit: "0123456789abcdef", subject: "raise memory", author: "Ann", ok: true, error: null },
      ],
    });
    const html = renderSitePage(view([s]), s);
    expect(html).toContain("<h2>acme</h2>");
    expect(html).toContain("hook postDeploy drush updb exited 1: table missing");
    expect(html.indexOf("converged → ")).toBeLessThan(html.indexOf("deployed"));
    expect(html.indexOf("cron drupal")).toBeLessThan(html.indexOf(">backup<"));
    expect(html).toContain("<pre>boom</pre>");
    expect(html).toContain(`data-refresh-seconds="5"`);
  });

  it("the login page never carries a token and only posts to /login", () => {
    const html = renderLoginPage("That is not the daemon's API token.", "/dashboard/site/acme");
    expect(html).toContain(`<form class="login" method="post" action="/login">`);
    expect(html).toContain(`type="password"`);
    expect(html).toContain(`value="/dashboard/site/acme"`);
    expect(html).not.toContain("app.js");
  });

  it("an empty fleet says so", () => {
    expect(renderFleetMain(view([]))).toContain("No site yet.");
  });
});
