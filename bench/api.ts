/**
 * API latency over a database of `--tracks` synthetic tracks (default 1,000,000): p50/p95 of
 * `/api/tracks?model=` and of a per-model daily trend through `/api/query`, beside `GET /health` (the
 * baseline: the HTTP round trip alone). Prints one JSON line; run by bench/run.ts.
 */
import { parseArgs } from "node:util";
import { latencies, syntheticService } from "./_synthetic.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { tracks: { type: "string", default: "1000000" } },
});
const tracks = Number(values.tracks);
const models = 300;
const { base, files, close } = await syntheticService(tracks, models);

const health = await latencies(200, () => fetch(`${base}/health`));
const byModel = await latencies(
  200,
  (i) => fetch(`${base}/api/tracks?model=M${(i * 37) % models}&limit=1000`),
);
const trend = await latencies(100, (i) =>
  fetch(`${base}/api/query`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      sql:
        `SELECT test_date::DATE AS day, count(*) AS tracks, avg((overall_status = 'PASS')::INT) AS pass_rate,
                   avg(sigma_gradient) AS sigma FROM v_tracks WHERE model = 'M${
          (i * 53) % models
        }' GROUP BY 1 ORDER BY 1`,
    }),
  }));
await close();
console.log(JSON.stringify({ tracks, files, models, health, byModel, trend }));
