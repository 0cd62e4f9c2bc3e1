import { spawnSync } from "node:child_process";
import { LOAD_SWAP_EXIT } from "../../../controller/database/load-swap";
import { IMPORT_EXIT, importJobScript } from "../../../controller/siteimport/job-script";
import { lastMessage } from "../../../controller/siteimport/run-import";

describe("importJobScript", () => {
  const script = importJobScript();

  it("is valid POSIX sh with load-swap's exit codes and its own, all distinct", () => {
    expect(spawnSync("sh", ["-n", "-c", script]).status).toBe(0);
    expect(new Set(Object.values(IMPORT_EXIT)).size).toBe(Object.keys(IMPORT_EXIT).length);
    expect(IMPORT_EXIT).toMatchObject(LOAD_SWAP_EXIT);
  });

  it("gives up, changing nothing, when no upload arrives", () => {
    const r = spawnSync("sh", ["-c", script, "import"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", UPLOAD_WAIT_SECONDS: "0" }, encoding: "utf8" });
    expect(r.status).toBe(IMPORT_EXIT.noUpload);
    expect(r.stdout).toBe("import: waiting for the upload\nimport: nothing was uploaded within 0 s; nothing was changed\n");
  });

  it("stages files out of the web's reach and hands them to www-data", () => {
    expect(script).toContain('mkdir -m 700 "$stage"');
    expect(script).toContain('chown -R 33:33 "$stage"');
    expect(script).toContain("--no-same-owner");
  });
});

describe("lastMessage", () => {
  it("is the job's last message, with the state line above when it points to it", () => {
    expect(lastMessage("import: waiting for the upload\nimport: the files archive cannot be unpacked: x\n")).toBe("import: the files archive cannot be unpacked: x");
    expect(lastMessage("import: waiting\nload-swap: the dump failed to load: E; untouched\nimport: the database import failed (the state is the line above)\n")).toBe(
      "load-swap: the dump failed to load: E; untouched / import: the database import failed (the state is the line above)",
    );
    expect(lastMessage("something else\n")).toBe("something else");
  });
});
