/**
 * Per-track charts, run as its own process by bench/run.ts: first `count` renders from chart data read once
 * (the renderer alone), then `count` charts each read from DuckDB and rendered (end to end). Prints charts/s
 * and RSS at chart 500 and at the last chart of each, as JSON.
 */
import { Database } from "../src/db/database.ts";
import { type TrackChartData, trackChartData, trackChartSvg } from "../src/render/track_chart.ts";

const [dbPath, countText] = Deno.args;
const count = Number(countText ?? 5000);
const db = await Database.open(dbPath);
const tracks =
  (await db.rows("SELECT file_id, track_id FROM tracks WHERE overall_status <> 'ERROR' ORDER BY file_id"))
    .map((r) => [Number(r.file_id), String(r.track_id)] as const);

async function phase(chart: (i: number) => Promise<string>) {
  let rssAt500 = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    await chart(i);
    if (i + 1 === 500) rssAt500 = Deno.memoryUsage().rss;
  }
  return { count, seconds: (performance.now() - started) / 1000, rssAt500, rssAtEnd: Deno.memoryUsage().rss };
}

const preloaded: TrackChartData[] = [];
for (const [fileId, trackId] of tracks.slice(0, 200)) {
  preloaded.push((await trackChartData(db, fileId, trackId))!);
}
const renderOnly = await phase((i) => trackChartSvg(preloaded[i % preloaded.length]));
const endToEnd = await phase(async (i) => {
  const [fileId, trackId] = tracks[i % tracks.length];
  return await trackChartSvg((await trackChartData(db, fileId, trackId))!);
});
console.log(JSON.stringify({ renderOnly, endToEnd }));
db.close();
