/**
 * Server time of the workbench pages over a database of `--tracks` synthetic tracks (default 1,000,000,
 * 300 models, the newest tested days ago, every tenth unit with a Final Test): p50/p95 of each page, warm
 * (kept since the data last changed) and cold (the first load after a change), beside `GET /health` (the
 * baseline: the HTTP round trip alone). Goal: p95 ≤ 150 ms. Prints one JSON line; run by bench/run.ts.
 */
import { parseArgs } from "node:util";
import { addDays } from "../src/days.ts";
import { latencies, syntheticService } from "./_synthetic.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { tracks: { type: "string", default: "1000000" }, rounds: { type: "string", default: "40" } },
});
const tracks = Number(values.tracks);
const rounds = Number(values.rounds);
const models = 300;
// One file a minute, ending about three days ago: the dashboard's 30 days hold ~40,000 files.
const days = Math.ceil(tracks / 2 / 1440) + 3;
const start = addDays(new Date().toISOString().slice(0, 10), -days);
const { base, files, close } = await syntheticService(tracks, models, start);

const model = (i: number) => `M${(i * 37) % models}`;
const pages: Record<string, (i: number) => string> = {
  health: () => "/health",
  dashboard: () => "/",
  "dashboard 365 days": () => "/?days=365",
  models: () => "/models",
  "model, 30 days": (i) => `/models/${model(i)}`,
  "model, all history": (i) => `/models/${model(i)}?days=all`,
  unit: (i) => `/units/M${(1 + i * 997) % models}/${1 + i * 997}`,
  search: (i) => `/search?q=${10_000 + i}`,
  compare: () => "/compare",
  alarms: () => "/alarms?show=all",
  quarantine: () => "/quarantine",
};
// Warm: the same address again (pages are kept until the data change). Cold: a fresh address each time,
// as the first visitor after a file has loaded sees it.
const result: Record<string, { warm: { p50: number; p95: number }; cold: { p50: number; p95: number } }> = {};
for (const [name, path] of Object.entries(pages)) {
  const fresh = (i: number) => `${path(i)}${path(i).includes("?") ? "&" : "?"}fresh=${i}`;
  const cold = await latencies(Math.ceil(rounds / 4), (i) => fetch(base + fresh(i)));
  for (let i = 0; i < 4; i++) await (await fetch(base + path(i))).arrayBuffer();
  const warm = await latencies(rounds, (i) => fetch(base + path(i % 4)));
  result[name] = { warm, cold };
}
await close();
console.log(JSON.stringify({ tracks, files, models, pages: result }));
