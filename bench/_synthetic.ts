/** A database of `tracks` synthetic verdicts (two tracks a file, `models` models, a minute apart), built in SQL. */
import { Database } from "../src/db/database.ts";

export async function syntheticTracks(dbPath: string, tracks: number, models: number): Promise<number> {
  const files = Math.ceil(tracks / 2);
  const db = await Database.open(dbPath);
  try {
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
  } finally {
    db.close();
  }
  return files;
}
