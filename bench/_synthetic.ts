/**
 * A database of `tracks` synthetic verdicts (two tracks a file, `models` models, a minute apart from
 * `start`), built in SQL.
 */
import { Database } from "../src/db/database.ts";

export async function syntheticTracks(
  dbPath: string,
  tracks: number,
  models: number,
  start = "2024-01-01",
): Promise<number> {
  const files = Math.ceil(tracks / 2);
  const db = await Database.open(dbPath);
  try {
    await db.conn.run(
      `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, system, model, serial, test_date,
                          n_tracks, n_points, ingested_at, parser_version)
       SELECT i, '/x/' || i, 'f' || i || '.xls', 'sha' || i, 70000, 1, 'loaded', 'A', 'M' || (i % ${models}), i::VARCHAR,
              TIMESTAMP '${start}' + INTERVAL (i * 60) SECOND, 2, 644, now()::TIMESTAMP, '1'
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
    // Every tenth unit comes back from Final Test a day after its trim; one in twenty of those fails it.
    await db.conn.run(
      `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, model, serial, test_date,
                          n_tracks, n_points, ingested_at, parser_version, kind, model_key, serial_key)
       SELECT ${files} + i, '/x/ft' || i, 'ft' || i || '.xls', 'ftsha' || i, 30000, 1, 'loaded', 'M' || (i % ${models}),
              'SN' || i, TIMESTAMP '${start}' + INTERVAL (i * 60 + 86400) SECOND, 1, 72, now()::TIMESTAMP, '1',
              'final_test', lta_model_key('M' || (i % ${models})), lta_serial_key('SN' || i)
       FROM range(1, ${files + 1}, 10) t(i)`,
    );
    await db.conn.run(
      `INSERT INTO final_tests (file_id, track_id, format, sheet, n_points, skipped_rows, overall_status)
       SELECT file_id, 'TRK1', 'standard', 'Sheet1', 72, 0, CASE WHEN random() < 0.05 THEN 'FAIL' ELSE 'PASS' END
       FROM files WHERE kind = 'final_test'`,
    );
    await db.conn.run(
      "UPDATE files SET model_key = lta_model_key(model), serial_key = lta_serial_key(serial)",
    );
    await db.conn.run("CHECKPOINT");
  } finally {
    db.close();
  }
  return files;
}

/** `lta serve` in this process over a fresh synthetic database; `close()` stops it and removes the folder. */
export async function syntheticService(tracks: number, models: number, start?: string) {
  const { join } = await import("node:path");
  const { buildConfig } = await import("../src/config/config.ts");
  const { runService } = await import("../src/service.ts");
  const root = await Deno.makeTempDir({ prefix: "lta-synthetic-" });
  const dbPath = join(root, "data", "lta.duckdb");
  const files = await syntheticTracks(dbPath, tracks, models, start);
  const config = buildConfig({}, {}, {
    db: dbPath,
    inbox: join(root, "inbox"),
    quarantineDir: join(root, "q"),
    reportsDir: join(root, "reports"),
    httpPort: 0,
    logFormat: "json",
    catchUp: "none",
    timeZone: "UTC",
  });
  const stop = new AbortController();
  let port = 0;
  const service = runService(config, {
    logger: { event() {} },
    signal: stop.signal,
    onListening: (p) => (port = p),
  });
  while (port === 0) await new Promise((r) => setTimeout(r, 20));
  return {
    base: `http://127.0.0.1:${port}`,
    files,
    async close() {
      stop.abort();
      await service;
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** p50 and p95 (ms, one decimal) of `n` sequential requests, each read to the end; a non-2xx throws. */
export async function latencies(n: number, request: (i: number) => Promise<Response>) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await request(i);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`${res.url}: HTTP ${res.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { p50: round(times[Math.floor(n * 0.5)]), p95: round(times[Math.floor(n * 0.95)]) };
}
