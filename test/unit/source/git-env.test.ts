import { askpassScript, gitEnv, shellQuote, sshCommand } from "../../../controller/source/git-env";

describe("git credentials environment", () => {
  it("quotes paths for the shell git runs GIT_SSH_COMMAND with", () => {
    expect(shellQuote("/keys/deploy key")).toBe("'/keys/deploy key'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it("checks host keys strictly against the operator's known_hosts file", () => {
    const cmd = sshCommand("/etc/simulium/deploy_key", { knownHostsFile: "/etc/simulium/known_hosts" });
    expect(cmd).toBe(
      "ssh -i '/etc/simulium/deploy_key' -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o BatchMode=yes -o 'UserKnownHostsFile=/etc/simulium/known_hosts'",
    );
    expect(cmd).not.toContain("accept-new");
  });

  it("refuses unknown hosts without a known_hosts file too (ssh's own files), unless the operator opts in", () => {
    expect(sshCommand("/k")).toContain("StrictHostKeyChecking=yes");
    expect(sshCommand("/k")).not.toContain("accept-new");
    expect(sshCommand("/k")).not.toContain("UserKnownHostsFile");
    expect(sshCommand("/k", { acceptNewHostKeys: true })).toContain("StrictHostKeyChecking=accept-new");
    expect(sshCommand("/k", { knownHostsFile: "/kh", acceptNewHostKeys: true })).toContain("-o StrictHostKeyChecking=accept-new -o BatchMode=yes -o 'UserKnownHostsFile=/kh'");
    expect(gitEnv({ sshKeyFile: "/k", knownHostsFile: "/kh" }).GIT_SSH_COMMAND).toContain("StrictHostKeyChecking=yes");
    expect(gitEnv({ sshKeyFile: "/k", acceptNewHostKeys: true }).GIT_SSH_COMMAND).toContain("StrictHostKeyChecking=accept-new");
  });

  it("points GIT_ASKPASS at the helper only for token credentials, and never prompts", () => {
    expect(gitEnv({ tokenFile: "/t" }, "/state/askpass.sh")).toEqual({ GIT_TERMINAL_PROMPT: "0", LC_ALL: "C", GIT_ASKPASS: "/state/askpass.sh" });
    const ssh = gitEnv({ sshKeyFile: "/k" });
    expect(ssh.GIT_SSH_COMMAND).toContain("-i '/k'");
    expect(ssh.GIT_ASKPASS).toBeUndefined();
    expect(gitEnv({})).toEqual({ GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" });
  });

  it("writes an askpass script that reads the token file rather than containing the token", () => {
    const script = askpassScript("/run/secrets/git token", "deploy");
    expect(script.startsWith("#!/bin/sh\n")).toBe(true);
    expect(script).toContain("cat '/run/secrets/git token'");
    expect(script).toContain("printf '%s\\n' 'deploy'");
  });
});
