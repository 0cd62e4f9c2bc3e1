import { createHmac } from "node:crypto";
import { signatureHeader, verifyWebhook } from "../../../controller/source/webhook";

const secret = "s3cret-shared-with-the-forge";
const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main", after: "a".repeat(40) }));
const hex = (b: Buffer, s = secret): string => createHmac("sha256", s).update(b).digest("hex");

describe("verifyWebhook", () => {
  it("accepts a GitHub X-Hub-Signature-256 over the raw body", () => {
    expect(verifyWebhook({ "x-hub-signature-256": `sha256=${hex(body)}`, "x-github-event": "push" }, body, secret)).toEqual({
      ok: true,
      provider: "github",
      event: "push",
    });
  });

  it("tells Gitea and Forgejo apart by their event headers", () => {
    const sig = `sha256=${hex(body)}`;
    expect(verifyWebhook({ "x-hub-signature-256": sig, "x-gitea-event": "push" }, body, secret)).toMatchObject({ ok: true, provider: "gitea" });
    expect(verifyWebhook({ "x-hub-signature-256": sig, "x-forgejo-event": "push", "x-gitea-event": "push" }, body, secret)).toMatchObject({
      ok: true,
      provider: "forgejo",
    });
  });

  it("accepts Gitea's bare hex X-Gitea-Signature", () => {
    expect(verifyWebhook({ "x-gitea-signature": hex(body) }, body, secret)).toMatchObject({ ok: true, provider: "gitea" });
  });

  it("accepts a GitLab token equal to the secret and rejects another", () => {
    expect(verifyWebhook({ "x-gitlab-token": secret, "x-gitlab-event": "Push Hook" }, body, secret)).toEqual({
      ok: true,
      provider: "gitlab",
      event: "Push Hook",
    });
    expect(verifyWebhook({ "x-gitlab-token": `${secret}x` }, body, secret)).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifyWebhook({ "x-gitlab-token": "" }, body, secret)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects a signature made with another secret", () => {
    expect(verifyWebhook({ "x-hub-signature-256": `sha256=${hex(body, "other")}` }, body, secret)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects a body changed after signing", () => {
    const tampered = Buffer.from(body.toString().replace("main", "evil"));
    expect(verifyWebhook({ "x-hub-signature-256": `sha256=${hex(body)}` }, tampered, secret)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects unsigned requests, even with event headers", () => {
    expect(verifyWebhook({ "x-github-event": "push" }, body, secret)).toEqual({ ok: false, reason: "unsigned" });
  });

  it("rejects malformed signatures without comparing", () => {
    expect(verifyWebhook({ "x-hub-signature-256": hex(body) }, body, secret)).toEqual({ ok: false, reason: "malformed-signature" });
    expect(verifyWebhook({ "x-hub-signature-256": "sha1=abc" }, body, secret)).toEqual({ ok: false, reason: "malformed-signature" });
    expect(verifyWebhook({ "x-gitea-signature": "zz" }, body, secret)).toEqual({ ok: false, reason: "malformed-signature" });
  });

  it("never lets a weaker header rescue a wrong sha256 signature", () => {
    const headers = { "x-hub-signature-256": `sha256=${hex(body, "other")}`, "x-gitlab-token": secret };
    expect(verifyWebhook(headers, body, secret)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses to verify with an empty secret", () => {
    expect(() => verifyWebhook({ "x-gitlab-token": "" }, body, "")).toThrow(/empty/);
  });

  it("signatureHeader produces what verifyWebhook accepts", () => {
    expect(signatureHeader(body, secret)).toBe(`sha256=${hex(body)}`);
    expect(verifyWebhook({ "X-Hub-Signature-256": signatureHeader(body, secret) }, body, secret).ok).toBe(true);
  });
});
