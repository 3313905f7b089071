/**
 * API latency over a database of `--tracks` synthetic tracks (default 1,000,000): p50/p95 of
 * `/api/tracks?model=` and of a per-model daily trend through `/api/query`, beside `GET /health` (the
 * baseline: the HTTP round trip alone). Prints one JSON line; run by bench/run.ts.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildConfig } from "../src/config/config.ts";
import { syntheticTracks } from "./_synthetic.ts";
import { runService } from "../src/service.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { tracks: { type: "string", default: "1000000" } },
});
const tracks = Number(values.tracks);
const root = await Deno.makeTempDir({ prefix: "lta-api-bench-" });
const dbPath = join(root, "data", "lta.duckdb");
const models = 300;
const files = await syntheticTracks(dbPath, tracks, models);

const config = buildConfig({}, {}, {
  db: dbPath,
  inbox: join(root, "inbox"),
  quarantineDir: join(root, "q"),
  reportsDir: join(root, "reports"),
  httpPort: 0,
  logFormat: "json",
  catchUp: "none",
});
const stop = new AbortController();
let port = 0;
const service = runService(config, {
  logger: { event() {} },
  signal: stop.signal,
  onListening: (p) => (port = p),
});
while (port === 0) await new Promise((r) => setTimeout(r, 20));
const base = `http://127.0.0.1:${port}`;

async function latencies(
  n: number,
  request: (i: number) => Promise<Response>,
): Promise<{ p50: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await request(i);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n * 0.5)], p95: times[Math.floor(n * 0.95)] };
}

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
stop.abort();
await service;
await Deno.remove(root, { recursive: true });
console.log(JSON.stringify({ tracks, files, models, health, byModel, trend }));
