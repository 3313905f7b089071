/**
 * API latency over a database of `--tracks` synthetic tracks (default 1,000,000): p50/p95 of
 * `/api/tracks?model=` and of a per-model daily trend through `/api/query`, beside `GET /health` (the
 * baseline: the HTTP round trip alone). Prints one JSON line; run by bench/run.ts.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { buildConfig } from "../src/config/config.ts";
import { Database } from "../src/db/database.ts";
import { runService } from "../src/service.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { tracks: { type: "string", default: "1000000" } },
});
const tracks = Number(values.tracks);
const root = await Deno.makeTempDir({ prefix: "lta-api-bench-" });
const dbPath = join(root, "data", "lta.duckdb");
const models = 300;
const files = Math.ceil(tracks / 2);

{
  const db = await Database.open(dbPath);
  await db.conn.run(
    `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, system, model, serial, test_date,
                        n_tracks, n_points, ingested_at, parser_version)
     SELECT i, '/x/' || i, 'f' || i || '.xls', 'sha' || i, 70000, 1, 'loaded', 'A', 'M' || (i % ${models}), i::VARCHAR,
            TIMESTAMP '2024-01-01' + INTERVAL (i * 60) SECOND, 2, 644, now()::TIMESTAMP, '1'
     FROM range(1, ${files + 1}) t(i)`,
  );
  await db.conn.run(
    `INSERT INTO tracks (file_id, track_id, stage, n_points, sigma_gradient, sigma_threshold, sigma_pass, linearity_spec,
                         optimal_offset, linearity_error, linearity_pass, fail_points, overall_status, offset_search,
                         analysis_version, analyzed_at, failure_probability, risk_category)
     SELECT 1 + (i // 2), 'TRK' || (1 + i % 2), 'trimmed', 161, 0.0002 + random() * 0.0005, 0.00065, true, 0.05,
            0.001, random() * 0.06, true, 0, CASE WHEN random() < 0.8 THEN 'PASS' ELSE 'FAIL' END, 'exact', '1',
            now()::TIMESTAMP, 0.3, 'Low'
     FROM range(0, ${tracks}) t(i)`,
  );
  await db.conn.run("CHECKPOINT");
  db.close();
}

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
