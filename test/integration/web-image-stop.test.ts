import Docker from "dockerode";
import { execIn } from "../harness/exec";
import { images } from "../harness/images";
import { testInstance, waitFor } from "../support/swarm";

jest.setTimeout(120_000);

/**
 * The web image's side of zero-downtime updates (README, Health checks and stopping): told to
 * stop, it keeps answering STOP_DELAY seconds, while Varnish still routes to it, then stops
 * Apache gracefully, well within the service's 30 s stop grace period.
 */
const docker = new Docker();
const name = `${testInstance("webstop")}-web`;
const STOP_DELAY = 3;
let container: Docker.Container | null = null;

const answers = async (): Promise<boolean> => {
  if (!container) return false;
  const r = await execIn(docker, container.id, ["curl", "-fsS", "--max-time", "1", "http://127.0.0.1/healthz.php"]).catch(() => null);
  return r?.exitCode === 0 && r.stdout.includes("ok");
};

afterAll(async () => {
  await container?.remove({ force: true }).catch(() => undefined);
});

test("after SIGTERM the web image serves STOP_DELAY more seconds, then stops gracefully", async () => {
  // No network: the test talks to Apache from inside the container, on loopback.
  container = await docker.createContainer({ name, Image: images().web, Env: [`STOP_DELAY=${STOP_DELAY}`], HostConfig: { NetworkMode: "none" } });
  await container.start();
  await waitFor(answers, "Apache to answer", 30_000, 200);

  const signalled = Date.now();
  await container.kill({ signal: "SIGTERM" });
  let lastAnswer = signalled;
  while (Date.now() - signalled < (STOP_DELAY + 5) * 1000 && (await answers())) lastAnswer = Date.now();
  const exited = (await container.wait()) as { StatusCode: number };
  const stopped = Date.now();
  const servedFor = (lastAnswer - signalled) / 1000;
  const stoppedAfter = (stopped - signalled) / 1000;
  console.log(`web image after SIGTERM: answered for ${servedFor.toFixed(1)} s, exited ${exited.StatusCode} after ${stoppedAfter.toFixed(1)} s`);
  expect(servedFor).toBeGreaterThanOrEqual(STOP_DELAY - 0.5);
  expect(stoppedAfter).toBeLessThan(STOP_DELAY + 5);
  expect(exited.StatusCode).toBe(0);
});
