import { commentPreviews, previewTransition } from "../../../controller/daemon/previews";
import { MAX_COMMENT_CHARS, planCommentMarker, renderPlanComment } from "../../../controller/daemon/pr-comment";
import { loadFiles } from "../../../controller/manifests/load";
import { makePlan } from "../../../controller/plan/plan";
import { NO_PREVIEWS } from "../../../controller/reconcile/previews-state";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

const IMAGE_A = "registry.example.com/drupal-civicrm:10.3";
const IMAGE_B = "registry.example.com/drupal-civicrm:10.4";
const SHA = "a".repeat(40);
const at = "2026-11-30T16:00:00.000Z";

describe("the plan as a pull request comment", () => {
  const live = liveFromDesired(desiredOf([site(), site({ name: "beta" })]));

  it("starts with this instance's marker and shows each site's changes, then the summary", () => {
    const plan = makePlan(desiredOf([site({ web: { image: IMAGE_B } }), site({ name: "beta" }), site({ name: "gamma" })]), live);
    const text = renderPlanComment({ instance: "prod", headSha: SHA, plan, errors: [], previews: [], at });
    expect(text.startsWith(`${planCommentMarker("prod")}\n`)).toBe(true);
    expect(text).toContain("**site `acme`**");
    expect(text).toContain(`~ service acme_web updated in place\n    ~ image: ${IMAGE_A} → ${IMAGE_B}`);
    expect(text).toContain("**site `gamma`**");
    expect(text).toContain("+ service gamma_web created");
    // An unchanged site has no section.
    expect(text).not.toContain("site `beta`");
    expect(text).toMatch(/\*\*Plan: \d+ to create, 1 to update, 0 to remove, 0 retained\.\*\*/);
    expect(text).toContain(`head \`${SHA.slice(0, 12)}\``);
  });

  it("links the daemon's page of the full plan when the daemon has a public URL, else names the CLI", () => {
    const plan = makePlan(desiredOf([site({ web: { image: IMAGE_B } }), site({ name: "beta" })]), live);
    const url = `https://simulium.example.org/dashboard/plan/${SHA}`;
    expect(renderPlanComment({ instance: "prod", headSha: SHA, plan, errors: [], previews: [], at, planUrl: url })).toContain(`The full plan: [on the daemon's page](${url}).`);
    expect(renderPlanComment({ instance: "prod", headSha: SHA, plan, errors: [], previews: [], at })).toContain("The full plan: `simulium plan` at this commit.");
  });

  it("lists validate's errors with file:line:column", () => {
    const errors = [{ file: "sites/acme.yaml", line: 12, column: 5, path: "spec.web.image", site: "acme", message: "must match pattern" }];
    const text = renderPlanComment({ instance: "prod", headSha: SHA, errors, previews: [], at, plan: makePlan(desiredOf([site()]), live, errors) });
    expect(text).toContain("**1 manifest error**");
    expect(text).toContain("sites/acme.yaml:12:5: spec.web.image: must match pattern");
  });

  it("shows environment variables by name only, and cuts out every known secret value", () => {
    const plan = makePlan(desiredOf([site({ web: { env: { DRUPAL_ENV: "staging-hand-set-value", CIVICRM_UF: "Drupal", API_KEY: "s3cr3t-value-xyz" } } }), site({ name: "beta" })]), live);
    const text = renderPlanComment({ instance: "prod", headSha: SHA, plan, errors: [], previews: [], at });
    expect(text).toContain("+ env.API_KEY");
    expect(text).toContain("~ env.DRUPAL_ENV (value changed)");
    expect(text).not.toContain("staging-hand-set-value");
    // The failure text carried a value the caller knows to be secret: it is cut out.
    expect(renderPlanComment({ instance: "prod", headSha: SHA, errors: [], previews: [], at, failure: "db password is s3cr3t-value-xyz", secrets: ["s3cr3t-value-xyz"] })).not.toContain("s3cr3t-value-xyz");
    // Also where a note escaped its markdown characters.
    const escaped = renderPlanComment({ instance: "prod", headSha: SHA, errors: [], previews: [], at, notes: ["the limit: pa_ss*w<rd>"], secrets: ["pa_ss*w<rd>"] });
    expect(escaped).not.toMatch(/pa.{0,2}ss.{0,2}w.{0,2}rd/);
  });

  it("a manifest's text cannot close the code block and write markdown in our name", () => {
    const errors = [{ file: "sites/acme.yaml", line: 3, column: 1, path: "spec", site: "acme", message: "bad ```\n**LGTM, approved** [click](http://evil.example) ````" }];
    const text = renderPlanComment({ instance: "prod", headSha: SHA, errors, previews: [{ site: "acme", state: "refused", detail: "<img src=x> **bold**" }], at });
    const fence = /^(`{3,})$/m.exec(text)?.[1] ?? "";
    expect(fence.length).toBeGreaterThan(4);
    const blockEnd = text.indexOf(`\n${fence}\n`, text.indexOf(fence) + fence.length);
    expect(text.indexOf("**LGTM")).toBeLessThan(blockEnd);
    expect(text).toContain("\\<img src=x\\> \\*\\*bold\\*\\*");
  });

  it("stays under the forge's size limit, and says it was cut", () => {
    const many = Array.from({ length: 900 }, (_, i) => site({ name: `site-${String(i).padStart(3, "0")}` }));
    const text = renderPlanComment({ instance: "prod", headSha: SHA, plan: makePlan(desiredOf(many), live), errors: [], previews: [], at });
    expect(text.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(text).toContain("(cut: the plan is longer than a comment may be");
    // The cut closed the code block it fell in: the note is outside of it.
    const before = text.slice(0, text.indexOf("(cut:"));
    expect((before.match(/^`{3,}/gm) ?? []).length % 2).toBe(0);
  });
});

describe("the previews' lines of the comment", () => {
  const config = { domain: "{site}-pr{number}.preview.example.org", max: 1, ttlHours: 24 };
  const file = (name: string, image: string) => `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: ${name}}\nspec:\n  domains: [${name}.org]\n  web: {image: "${image}"}\n`;
  const base = new Map([
    ["sites/acme.yaml", file("acme", "drupal:10.2")],
    ["sites/zeta.yaml", file("zeta", "drupal:10.2")],
  ]);
  const deployed = loadFiles([...base].map(([path, text]) => ({ path, text }))).sites;
  const event = (number: number, state: "open" | "closed") => ({ provider: "github" as const, number, state, merged: false, headSha: SHA, headRef: "b", baseRef: "main" });
  const now = new Date(at);

  it("deploying with its URL, waiting past the limit, refused with the reason, removed on close", () => {
    const head = new Map(base).set("sites/acme.yaml", file("acme", "drupal:10.3")).set("sites/zeta.yaml", "kind: Site\n");
    const first = previewTransition(NO_PREVIEWS, event(1, "open"), { config, deployed, baseFiles: base, headFiles: head, now });
    expect(commentPreviews(first.outcome, NO_PREVIEWS, event(1, "open"))).toEqual({
      previews: [
        { site: "acme", state: "deploying", url: "http://acme-pr1.preview.example.org/" },
        { site: "zeta", state: "refused", detail: "invalid at the pull request's head (simulium validate shows why)" },
      ],
      notes: [],
    });
    const second = previewTransition(first.state, event(2, "open"), { config, deployed, baseFiles: base, headFiles: head, now });
    expect(commentPreviews(second.outcome, first.state, event(2, "open")).previews[0]).toEqual({ site: "acme", state: "waiting", detail: "1 previews at most (simulium.yaml spec.previews.max)" });
    const closed = previewTransition(second.state, event(1, "closed"), { config, deployed, baseFiles: base, now });
    expect(commentPreviews(closed.outcome, second.state, event(1, "closed"))).toEqual({ previews: [{ site: "acme", state: "removed" }], notes: [] });
    const off = previewTransition(NO_PREVIEWS, event(3, "open"), { config: undefined, deployed, baseFiles: base, headFiles: head, now });
    expect(commentPreviews(off.outcome, NO_PREVIEWS, event(3, "open"))).toEqual({ previews: [], notes: ["previews are not configured (simulium.yaml spec.previews)"] });
  });

  it("renders them under Previews", () => {
    const text = renderPlanComment({
      instance: "prod",
      headSha: SHA,
      errors: [],
      at,
      previews: [
        { site: "acme", state: "ready", url: "http://acme-pr1.preview.example.org/" },
        { site: "zeta", state: "waiting", detail: "1 previews at most" },
      ],
      notes: ["previews are not configured"],
    });
    expect(text).toContain("**Previews**\n\n- `acme`: ready at http://acme-pr1.preview.example.org/\n- `zeta`: waiting: 1 previews at most\n- previews are not configured");
  });
});
