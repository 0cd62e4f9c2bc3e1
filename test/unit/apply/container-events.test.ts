import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { wakeOnContainerEvents } from "../../../controller/apply/container-events";

/** Only getEvents, the one call the wake makes; the stream stands for the engine's event stream. */
function engineWith(stream: PassThrough | Error | Promise<PassThrough>): { docker: Docker; filters: unknown[] } {
  const filters: unknown[] = [];
  const docker = {
    getEvents: async (opts: { filters: unknown }) => {
      filters.push(opts.filters);
      if (stream instanceof Error) throw stream;
      return stream;
    },
  } as unknown as Docker;
  return { docker, filters };
}

/** Lets the stream's promise settle (getEvents is answered asynchronously). */
const opened = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

const event = (stream: PassThrough): boolean => stream.write(JSON.stringify({ Type: "container", Action: "health_status: healthy" }) + "\n");

describe("container events wake a convergence wait", () => {
  it("asks for this instance's container starts, deaths and health changes only", async () => {
    const stream = new PassThrough();
    const { docker, filters } = engineWith(stream);
    const wake = wakeOnContainerEvents(docker, "prod");
    await opened();
    expect(filters).toEqual([{ type: ["container"], event: ["start", "die", "health_status"], label: ["simulium.instance=prod"] }]);
    wake.close();
  });

  it("ends a pause a settle time after an event, long before the pause would", async () => {
    const stream = new PassThrough();
    const wake = wakeOnContainerEvents(engineWith(stream).docker, "prod", 10);
    await opened();
    const started = Date.now();
    const paused = wake.pause(5_000);
    setTimeout(() => event(stream), 20);
    await expect(paused).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    wake.close();
  });

  it("remembers an event that came between two pauses: the next pause ends at once", async () => {
    const stream = new PassThrough();
    const wake = wakeOnContainerEvents(engineWith(stream).docker, "prod", 10);
    await opened();
    event(stream);
    await new Promise((r) => setImmediate(r));
    const started = Date.now();
    await expect(wake.pause(5_000)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    // Consumed: the pause after it lasts its time.
    await expect(wake.pause(30)).resolves.toBe(false);
    wake.close();
  });

  it("is a plain sleep without an event, and when the engine refuses the stream", async () => {
    const stream = new PassThrough();
    const wake = wakeOnContainerEvents(engineWith(stream).docker, "prod", 10);
    await expect(wake.pause(30)).resolves.toBe(false);
    wake.close();
    const refused = wakeOnContainerEvents(engineWith(new Error("connect ENOENT")).docker, "prod", 10);
    const started = Date.now();
    await expect(refused.pause(40)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    refused.close();
  });

  it("never waits for the stream: a stream that has not opened (a proxy holding the headers until an event) leaves plain sleeps, and is closed if it opens after the wait", async () => {
    const stream = new PassThrough();
    let open: (s: PassThrough) => void = () => undefined;
    const later = new Promise<PassThrough>((resolve) => (open = resolve));
    const wake = wakeOnContainerEvents(engineWith(later).docker, "prod", 10);
    await expect(wake.pause(30)).resolves.toBe(false);
    wake.close();
    open(stream);
    await opened();
    expect(stream.destroyed).toBe(true);
  });

  it("closes the engine's stream", async () => {
    const stream = new PassThrough();
    const wake = wakeOnContainerEvents(engineWith(stream).docker, "prod", 10);
    await opened();
    wake.close();
    expect(stream.destroyed).toBe(true);
  });
});
