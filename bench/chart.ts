/**
 * `npm run bench:chart`: figure 7's chart (bench/results/growth.svg) again from
 * bench/results/latest.json alone, without the engine: after the JSON was edited by hand
 * (a figure re-measured on its own) or the chart's drawing changed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { growthCaption, growthRows, growthSvg } from "./growth";
import type { BenchResults } from "./report";

const dir = path.join(process.cwd(), "bench", "results");
const results = JSON.parse(readFileSync(path.join(dir, "latest.json"), "utf8")) as BenchResults;
writeFileSync(path.join(dir, "growth.svg"), growthSvg(growthRows(results), growthCaption(results)));
process.stderr.write(`[bench] wrote bench/results/growth.svg\n`);
