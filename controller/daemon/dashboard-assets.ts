/**
 * The dashboard's only script and stylesheet, served from the daemon (no CDN, no build step) so
 * the pages' Content-Security-Policy can forbid every inline script and style.
 */

/**
 * Refreshes <main> without reloading the page: every few seconds it asks the same URL for the
 * fragment (header X-Simulium-Fragment) and swaps it in; server-rendered and escaped there.
 * Without JavaScript the page is complete as served.
 */
export const APP_JS = `"use strict";
(function () {
  var main = document.getElementById("main");
  if (!main) return;
  var every = (Number(main.getAttribute("data-refresh-seconds")) || 5) * 1000;
  function later() { window.setTimeout(tick, every); }
  function tick() {
    // An expanded job output would close under the reader's eyes: wait until it is folded.
    if (main.querySelector("details[open]")) return later();
    fetch(location.pathname, { headers: { "X-Simulium-Fragment": "1" }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { location.assign("/login?next=" + encodeURIComponent(location.pathname)); return null; }
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        if (html === null) return;
        main.innerHTML = html;
        main.removeAttribute("data-stale");
        later();
      })
      .catch(function () { main.setAttribute("data-stale", "true"); later(); });
  }
  later();
})();
`;

export const APP_CSS = `:root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #6e7781; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; }
header { display: flex; align-items: center; justify-content: space-between; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.2rem; margin: 0; }
header h1 a { color: inherit; text-decoration: none; }
main { padding: .5rem 1rem 2rem; }
main[data-stale] .overview::after { content: " · refresh failed, showing older data"; color: var(--bad); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
thead th { font-size: .85rem; color: var(--muted); white-space: nowrap; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; }
ul.plain, ul.counts { list-style: none; margin: 0; padding: 0; }
ul.counts { display: flex; flex-wrap: wrap; gap: .75rem; margin: .5rem 0; }
.state { display: inline-block; padding: 0 .4rem; border-radius: .6rem; border: 1px solid currentColor; font-size: .85rem; white-space: nowrap; }
.state-converged, .state-drifted, .ok { color: var(--ok); }
.state-progressing, .state-pending, .state-retained, .state-suspended, .warn { color: var(--warn); }
.state-degraded, .state-failed, .state-invalid, .bad, .error { color: var(--bad); }
.muted { color: var(--muted); }
.error { font-size: .85rem; }
pre { white-space: pre-wrap; word-break: break-word; margin: .25rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
form.login { max-width: 24rem; margin: 2rem auto; }
form.login input { width: 100%; padding: .4rem; font: inherit; }
/* A phone: each site becomes a card of labelled lines. */
@media (max-width: 700px) {
  table.fleet thead { position: absolute; left: -9999px; }
  table.fleet caption { display: block; }
  table.fleet, table.fleet tbody, table.fleet tr, table.fleet th, table.fleet td { display: block; width: 100%; }
  table.fleet tr { border: 1px solid var(--line); border-radius: .4rem; margin: 0 0 .75rem; padding: .25rem .5rem; }
  table.fleet th, table.fleet td { border: 0; padding: .15rem 0; }
  table.fleet td::before { content: attr(data-label) ": "; color: var(--muted); font-size: .85rem; }
  dl.facts { grid-template-columns: 1fr; }
}
`;
