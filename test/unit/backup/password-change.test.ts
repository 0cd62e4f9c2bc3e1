import { resticPasswordChange, ResticPasswordChangeError } from "../../../controller/backup/password-change";
import { renderBackupResources } from "../../../controller/backup/resources";
import { renderDesired } from "../../../controller/desired/render";
import type { ResolvedBackupConfig } from "../../../controller/manifests/types";
import { backupConfig, cluster, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

const GENERATED = { hash: "0123456789" };
const desiredWith = (config: ResolvedBackupConfig) => {
  const c = cluster({ backup: config });
  return renderDesired({ sites: [site()], cluster: c, invalidSites: [], instanceResources: renderBackupResources(c, "generated" in config.password ? GENERATED : undefined) });
};
const generated = desiredWith(backupConfig());
const sealed = (ciphertext: string) => desiredWith(backupConfig({ password: { sealed: ciphertext } }));

describe("the restic password the swarm's backups use is never replaced implicitly", () => {
  it("refuses generated → sealed, naming both secrets and the flag that accepts it", () => {
    const change = resticPasswordChange(sealed("AGE-CIPHERTEXT"), liveFromDesired(generated));
    expect(change).toBeInstanceOf(ResticPasswordChangeError);
    expect(change?.live).toEqual([expect.stringMatching(/restic-password-0123456789$/)]);
    expect(change?.message).toMatch(/simulium\.yaml: backup\.password .*restic key add.*--accept-restic-password-change/);
  });

  it("refuses one sealed password replaced by another ciphertext (a new value or a re-seal: Swarm cannot tell)", () => {
    expect(resticPasswordChange(sealed("SECOND"), liveFromDesired(sealed("FIRST")))).toBeInstanceOf(ResticPasswordChangeError);
  });

  it("accepts the same password, a first creation, and an instance without backups", () => {
    expect(resticPasswordChange(sealed("FIRST"), liveFromDesired(sealed("FIRST")))).toBeUndefined();
    expect(resticPasswordChange(generated, liveFromDesired(generated))).toBeUndefined();
    const none = liveFromDesired(renderDesired({ sites: [site()], cluster: cluster(), invalidSites: [] }));
    expect(resticPasswordChange(sealed("FIRST"), none)).toBeUndefined();
    expect(resticPasswordChange(renderDesired({ sites: [site()], cluster: cluster(), invalidSites: [] }), liveFromDesired(generated))).toBeUndefined();
  });
});
