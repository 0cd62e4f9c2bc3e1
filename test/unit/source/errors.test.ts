import { classifyGitFailure, gitFailureDetail, SourceUnreachableError } from "../../../controller/source/errors";
import { redactSecrets, redactUrlUserinfo, urlHasPassword } from "../../../controller/source/redact";

describe("redaction", () => {
  it("removes userinfo from every URL in free text", () => {
    expect(redactUrlUserinfo("fatal: unable to access 'https://bot:ghp_abc123@github.com/o/r.git/': 403 and ssh://git@h/x")).toBe(
      "fatal: unable to access 'https://***@github.com/o/r.git/': 403 and ssh://***@h/x",
    );
  });

  it("removes literal secrets but leaves short strings alone", () => {
    expect(redactSecrets("token=abcdef123456 id=ab", ["abcdef123456", "ab"])).toBe("token=*** id=ab");
  });

  it("detects passwords in URLs, not plain user names", () => {
    expect(urlHasPassword("https://u:p@host/r.git")).toBe(true);
    expect(urlHasPassword("https://u@host/r.git")).toBe(false);
    expect(urlHasPassword("git@github.com:o/r.git")).toBe(false);
  });
});

describe("classifyGitFailure", () => {
  it.each([
    ["fatal: couldn't find remote ref refs/heads/main", "branch-missing"],
    ["fatal: Authentication failed for 'https://h/r.git/'", "auth"],
    ["git@h: Permission denied (publickey).\nfatal: Could not read from remote repository.", "auth"],
    ["No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\nfatal: Could not read from remote repository.", "host-key"],
    ["@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.\nfatal: Could not read from remote repository.", "host-key"],
    ["fatal: '/tmp/x.git' does not appear to be a git repository", "not-found"],
    ["fatal: unable to access 'https://h/': Could not resolve host: h", "network"],
    ["ssh: connect to host h port 22: Connection refused", "network"],
    ["block timeout reached", "timeout"],
    ["something odd", "unknown"],
  ])("%s -> %s", (stderr, reason) => {
    expect(classifyGitFailure(stderr)).toBe(reason);
  });

  it("keeps the fatal line, redacted, for the error message", () => {
    const detail = gitFailureDetail("hint: x\nfatal: unable to access 'https://u:tok@h/r/': 403\n");
    expect(detail).toBe("fatal: unable to access 'https://***@h/r/': 403");
    const err = new SourceUnreachableError("https://h/r", "auth", detail);
    expect(err.message).toContain("(auth)");
    expect(err.kind).toBe("source-unreachable");
  });
});
