import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { renderVcl } from "../../controller/varnish/vcl";
import type { VclInput, VclSite, VclTool } from "../../controller/varnish/vcl";

// Every shape of phpMyAdmin routing goes through Varnish's own compiler (varnishd -C): an
// unused backend or director, or a name declared twice, fails there and nowhere else.
const run = promisify(execFile);
const VARNISHD = process.env.VARNISHD ?? "/usr/sbin/varnishd";

const site = (name: string, backends = [{ host: "10.0.1.5", port: 80 }]): VclSite => ({
  name,
  domains: [`${name}.example.org`],
  backends,
  healthcheck: { path: "/user/login", interval: 10, timeout: 5 },
});
const pma = (name: string, backends = [{ host: "10.0.1.9", port: 80 }]): VclTool => ({ site: name, tool: "phpmyadmin", domain: `db.${name}.example.org`, backends });

const variants: Record<string, VclInput> = {
  "a site and its phpMyAdmin": { sites: [site("acme")], tools: [pma("acme")], mode: "dnsrr", purgeAcl: ["10.0.1.0/24"] },
  "a phpMyAdmin without running tasks": { sites: [site("acme")], tools: [pma("acme", [])], mode: "dnsrr", purgeAcl: [] },
  "only phpMyAdmin routes (the sites have no tasks)": { sites: [site("a", []), site("b", [])], tools: [pma("a"), pma("b")], mode: "dnsrr", purgeAcl: [] },
  "vip mode": { sites: [site("acme", [{ host: "localhost", port: 8080 }])], tools: [pma("acme", [{ host: "localhost", port: 8081 }])], mode: "vip", purgeAcl: [] },
  "look-alike site names": {
    sites: [site("a"), site("a-b0"), site("a-0")],
    tools: [pma("a", [{ host: "10.0.1.9", port: 80 }, { host: "10.0.1.10", port: 80 }]), pma("a-b0"), pma("a-0")],
    mode: "dnsrr",
    purgeAcl: [],
  },
};

let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "simulium-vclc-access-"));
  // varnishd drops privileges to compile; the work directory must be reachable for it.
  await chmod(dir, 0o755);
});

afterAll(async () => {
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

async function compile(name: string, vcl: string): Promise<{ ok: boolean; stderr: string }> {
  const file = join(dir, `${name}.vcl`);
  await writeFile(file, vcl);
  try {
    await run(VARNISHD, ["-C", "-f", file, "-n", join(dir, `work-${name}`)], { maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, stderr: "" };
  } catch (e) {
    return { ok: false, stderr: ((e as { stderr?: string }).stderr ?? String(e)).slice(0, 4000) };
  }
}

describe("VCL with phpMyAdmin routes compiles with varnishd -C", () => {
  it.each(Object.entries(variants))("%s", async (label, input) => {
    expect(await compile(label.replace(/\W+/g, "-"), renderVcl(input))).toEqual({ ok: true, stderr: "" });
  });
});
