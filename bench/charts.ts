/**
 * Renders `count` per-track charts from a database (cycling over its tracks) and prints charts/s and RSS
 * at chart 500 and at the last chart, as JSON; run as its own process by bench/run.ts.
 */
import { Database } from "../src/db/database.ts";
import { trackChartData, trackChartSvg } from "../src/render/track_chart.ts";

const [dbPath, countText] = Deno.args;
const count = Number(countText ?? 5000);
const db = await Database.open(dbPath);
const tracks =
  (await db.rows("SELECT file_id, track_id FROM tracks WHERE overall_status <> 'ERROR' ORDER BY file_id"))
    .map((r) => [Number(r.file_id), String(r.track_id)] as const);
let rssAt500 = 0;
let bytes = 0;
const started = performance.now();
for (let i = 0; i < count; i++) {
  const [fileId, trackId] = tracks[i % tracks.length];
  bytes += (await trackChartSvg((await trackChartData(db, fileId, trackId))!)).length;
  if (i + 1 === 500) rssAt500 = Deno.memoryUsage().rss;
}
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ count, seconds, rssAt500, rssAtEnd: Deno.memoryUsage().rss, bytes }));
db.close();
