import { previewStatus, previewTransition, pullRef } from "../../../controller/daemon/previews";
import { loadFiles } from "../../../controller/manifests/load";
import { NO_PREVIEWS, PreviewState, withPreviewSites } from "../../../controller/reconcile/previews-state";
import type { PullRequestEvent } from "../../../controller/source/pull-request";

const config = { domain: "{site}-pr{number}.preview.example.org", max: 2, ttlHours: 24 };
const file = (name: string, image: string) => `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: ${name}}\nspec:\n  domains: [${name}.org]\n  web: {image: "${image}"}\n`;
const base = new Map([
  ["sites/acme.yaml", file("acme", "drupal:10.2")],
  ["sites/zeta.yaml", file("zeta", "drupal:10.2")],
]);
const deployed = loadFiles([...base].map(([path, text]) => ({ path, text })));
const sha = (n: number) => String(n).repeat(40).slice(0, 40);
const event = (number: number, state: "open" | "closed", head = sha(1)): PullRequestEvent => ({ provider: "github", number, state, merged: false, headSha: head, headRef: "b", baseRef: "main" });
const t0 = new Date("2026-11-30T10:00:00Z");

function open(state: PreviewState, number: number, headFiles: Map<string, string>, head = sha(1), now = t0) {
  return previewTransition(state, event(number, "open", head), { config, deployed: deployed.sites, baseFiles: base, headFiles, now });
}

describe("pull-request previews in the daemon", () => {
  it("open → deployed (only the changed site), push → updated at the new head, close → removed", () => {
    const head = new Map(base).set("sites/acme.yaml", file("acme", "drupal:10.3"));
    const opened = open(NO_PREVIEWS, 42, head);
    expect(opened.outcome).toMatchObject({ number: 42, action: "deployed", problems: [] });
    expect(opened.state.sites.map((s) => [s.name, s.web.image, s.deletionPolicy])).toEqual([["acme--pr42", "drupal:10.3", "Delete"]]);
    expect(opened.state.records).toEqual([{ provider: "github", number: 42, headSha: sha(1), headRef: "b", sites: ["acme--pr42"], openedAt: t0.toISOString(), updatedAt: t0.toISOString() }]);

    const later = new Date("2026-11-30T11:00:00Z");
    const pushed = open(opened.state, 42, new Map(head).set("sites/acme.yaml", file("acme", "drupal:10.4")), sha(2), later);
    expect(pushed.outcome.action).toBe("updated");
    expect(pushed.state.sites.map((s) => [s.name, s.web.image, s.environment?.preview?.headSha])).toEqual([["acme--pr42", "drupal:10.4", sha(2)]]);
    expect(pushed.state.records[0]).toMatchObject({ openedAt: t0.toISOString(), updatedAt: later.toISOString(), headSha: sha(2) });

    const closed = previewTransition(pushed.state, event(42, "closed"), { config, deployed: deployed.sites, baseFiles: base, now: later });
    expect(closed.outcome.action).toBe("removed");
    expect(closed.state).toEqual(NO_PREVIEWS);
  });

  it("a pull request that changes no site manifest gets no preview; an invalid head manifest is reported", () => {
    expect(open(NO_PREVIEWS, 1, new Map(base)).outcome).toEqual({ number: 1, action: "none", sites: [], problems: [] });
    const broken = open(NO_PREVIEWS, 2, new Map(base).set("sites/acme.yaml", "kind: Site\n"));
    expect(broken.outcome.action).toBe("none");
    expect(broken.outcome.problems).toEqual(["acme: invalid at the pull request's head (simulium validate shows why)"]);
  });

  it("past the limit a pull request waits, and is deployed by the reconcile once an earlier one closes", () => {
    const head = (img: string) => new Map(base).set("sites/acme.yaml", file("acme", img)).set("sites/zeta.yaml", file("zeta", img));
    const first = open(NO_PREVIEWS, 1, head("drupal:10.3"));
    expect(first.outcome.action).toBe("deployed");
    const second = open(first.state, 2, head("drupal:10.4"), sha(3), new Date("2026-11-30T10:05:00Z"));
    expect(second.outcome.action).toBe("waiting");
    expect(second.outcome.problems).toEqual(["waiting: 2 previews at most (simulium.yaml spec.previews.max)"]);
    const names = (s: PreviewState, now = t0) => withPreviewSites(deployed, s, config, now).sites.map((x) => x.name);
    expect(names(second.state)).toEqual(["acme", "zeta", "acme--pr1", "zeta--pr1"]);
    const closed = previewTransition(second.state, event(1, "closed"), { config, deployed: deployed.sites, baseFiles: base, now: t0 });
    expect(names(closed.state)).toEqual(["acme", "zeta", "acme--pr2", "zeta--pr2"]);
    // Past the TTL with no push, the reconcile drops them; previews switched off drops them all.
    expect(names(closed.state, new Date("2026-12-02T10:00:00Z"))).toEqual(["acme", "zeta"]);
    expect(withPreviewSites(deployed, closed.state, undefined, t0).sites.map((x) => x.name)).toEqual(["acme", "zeta"]);
  });

  it("a preview whose domain the main branch takes later is dropped from the plan with an error", () => {
    const opened = open(NO_PREVIEWS, 5, new Map(base).set("sites/acme.yaml", file("acme", "drupal:10.3")));
    const taker = `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: taker}\nspec:\n  domains: [acme-pr5.preview.example.org]\n  web: {image: drupal:10}\n`;
    const main = loadFiles([...base, ["sites/taker.yaml", taker] as const].map(([path, text]) => ({ path, text })));
    const merged = withPreviewSites(main, opened.state, config, t0);
    expect(merged.sites.map((s) => s.name)).toEqual(["acme", "taker", "zeta"]);
    expect(merged.errors.map((e) => e.message)).toEqual(["the preview acme--pr5 is removed: its domain acme-pr5.preview.example.org is now served by taker"]);
  });

  it("commit statuses carry the preview's URL; refs are the forges' pull-request heads", () => {
    const opened = open(NO_PREVIEWS, 42, new Map(base).set("sites/acme.yaml", file("acme", "drupal:10.3")));
    const site = opened.state.sites[0]!;
    expect(previewStatus(site, "ready")).toEqual({
      state: "success",
      description: "preview of acme at http://acme-pr42.preview.example.org/",
      contextSuffix: "preview/acme",
      targetUrl: "http://acme-pr42.preview.example.org/",
    });
    expect(previewStatus(site, "waiting", "2 previews at most").state).toBe("pending");
    expect(pullRef({ provider: "github", number: 42 })).toBe("refs/pull/42/head");
    expect(pullRef({ provider: "gitlab", number: 7 })).toBe("refs/merge-requests/7/head");
  });
});
