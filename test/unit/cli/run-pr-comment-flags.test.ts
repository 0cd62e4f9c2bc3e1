import { prCommentOptions } from "../../../controller/cli/run";

describe("simulium run --pr-comment-* flags", () => {
  it("none: no comments; api and token file go together; the token only over https (loopback http for tests)", () => {
    expect(prCommentOptions({})).toBeUndefined();
    expect(() => prCommentOptions({ prCommentApi: "https://api.github.com" })).toThrow(/go together/);
    expect(() => prCommentOptions({ prCommentTokenFile: "/run/secrets/t" })).toThrow(/go together/);
    expect(() => prCommentOptions({ prCommentRepository: "ops/sites" })).toThrow(/needs --pr-comment-api/);
    expect(() => prCommentOptions({ prCommentApi: "http://git.example.org/api/v1", prCommentTokenFile: "/t" })).toThrow(/https/);
    expect(prCommentOptions({ prCommentApi: "http://127.0.0.1:3000/api/v1/", prCommentTokenFile: "/t" })).toEqual({ api: "http://127.0.0.1:3000/api/v1", tokenFile: "/t" });
  });

  it("the repository: owner/name or a GitLab group path, nothing that leaves the API's path", () => {
    const base = { prCommentApi: "https://gitlab.example.org/api/v4", prCommentTokenFile: "/t" };
    expect(prCommentOptions({ ...base, prCommentRepository: "group/sub/sites" })?.repository).toBe("group/sub/sites");
    for (const bad of ["sites", "ops/../admin", "ops/sites?x=1", "ops//sites", "ops/sites.git"]) {
      expect(() => prCommentOptions({ ...base, prCommentRepository: bad })).toThrow(/--pr-comment-repository/);
    }
  });
});
