import type { LoadResult, ResolvedBackupConfig } from "../../../controller/manifests/types";
import { ImportError } from "../../../controller/siteimport/errors";
import { importJobSpec, ImportRequest, planImport } from "../../../controller/siteimport/plan";
import { bareSite, cluster, site } from "../../fixtures/core/builders";

const acme = site();
const bare = bareSite("bare");
const load = (): LoadResult => ({ cluster: cluster(), sites: [acme, bare], invalidSites: ["broken"], errors: [] });
const req = (over: Partial<ImportRequest> = {}): ImportRequest => ({ site: "acme", repo: "/srv/manifests", db: "dump.sql", image: "tools:1", ...over });
const plan = (over: Partial<ImportRequest> = {}, c = cluster()) => planImport(load(), c, req(over));
const refused = (over: Partial<ImportRequest>, c = cluster()) => {
  try {
    plan(over, c);
  } catch (err) {
    expect(err).toBeInstanceOf(ImportError);
    return (err as Error).message;
  }
  throw new Error("expected the import to be refused");
};

describe("planImport", () => {
  it("imports the database alone, or files into the first volume by default, or the one named", () => {
    expect(plan()).toMatchObject({ image: "tools:1", withDb: true });
    expect(plan().volume).toBeUndefined();
    expect(plan({ files: "files.tar.gz" }).volume).toBe("files");
    expect(plan({ files: "files.tar.gz", volume: "private" }).volume).toBe("private");
    expect(plan({ db: undefined, files: "dir" })).toMatchObject({ withDb: false, volume: "files" });
  });

  it("says what is wrong with the site or the request", () => {
    expect(refused({ db: undefined })).toBe("nothing to import: give --db DUMP and/or --files DIR_OR_TAR");
    expect(refused({ site: "nope" })).toBe("site nope has no manifest in /srv/manifests/sites");
    expect(refused({ site: "broken" })).toBe("site broken has an invalid manifest (simulium validate shows why)");
    expect(refused({ site: "bare" })).toBe("site bare has no database (spec.database): it cannot take --db");
    expect(refused({ site: "bare", db: undefined, files: "x.tar" })).toBe("site bare has no volume (spec.volumes) to import files into");
    expect(refused({ files: "x.tar", volume: "uploads" })).toBe("site acme has no volume uploads (its volumes: files, private)");
    expect(refused({ volume: "files" })).toBe("--volume says where --files go: give --files too");
  });

  it("takes the tools image from --image, else simulium.yaml's spec.backup.image, else says how to set one", () => {
    const backup: ResolvedBackupConfig = { image: "simulium/backup:7", repository: { volume: true }, password: { generated: true }, env: {}, checkSchedule: "0 4 * * 0" };
    expect(plan({ image: undefined }, cluster({ backup })).image).toBe("simulium/backup:7");
    expect(plan({ image: "mine:2" }, cluster({ backup })).image).toBe("mine:2");
    expect(refused({ image: undefined })).toMatch(/^no tools image to run the import in: pass --image .* or set spec.backup.image in simulium.yaml$/);
  });
});

describe("importJobSpec", () => {
  it("runs the tools image pinned to this node, on the site's network, with writable volumes and both database passwords", () => {
    const spec = importJobSpec(plan({ files: "f.tar" }), "node123", { IMPORT_VOLUME: "files", UPLOAD_WAIT_SECONDS: "600" });
    expect(spec.shape.image).toBe("tools:1");
    expect(spec.shape.constraints).toEqual(["node.role==worker", "node.id==node123"]);
    expect(spec.shape.networks).toEqual(["acme_default"]);
    expect(spec.shape.mounts).toEqual([
      { source: "acme_files", target: "/data/files", readOnly: false },
      { source: "acme_private", target: "/data/private", readOnly: false },
    ]);
    expect(spec.shape.secrets.map((s) => s.target)).toEqual(["db-password", "db-root-password"]);
    expect(spec.shape.env).toMatchObject({ DB_HOST: "acme_db", DB_NAME: "drupal", DB_USER: "drupal", DB_ROOT_PASSWORD_FILE: "/run/secrets/db-root-password", IMPORT_VOLUME: "files" });
    expect(spec.shape.ports).toEqual([]);
  });
});
