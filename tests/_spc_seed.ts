/** A history for SPC and capability tests: one file and one analysed track per value, a minute apart. */
import type { SpcMetric } from "../src/analyze/spc.ts";
import { Database } from "../src/db/database.ts";
import { workspace } from "./_helpers.ts";

let nextFileId = 1;

/** Inserts one file and one analysed track per value, a minute apart, for `model`. */
export async function seed(
  db: Database,
  model: string,
  values: Partial<Record<SpcMetric, number[]>>,
  spec = 0.05,
) {
  const n = (values.sigma_gradient ?? values.linearity_error)!.length;
  for (let i = 0; i < n; i++) {
    const id = nextFileId++;
    await db.conn.run(
      `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, system, model, serial, test_date,
                          ingested_at, parser_version)
       VALUES ($1, 'p', 'f' || $1, 's' || $1, 1, 1, 'loaded', 'A', $2, $1::VARCHAR,
               TIMESTAMP '2025-01-01' + to_minutes($3::BIGINT), now()::TIMESTAMP, '1')`,
      [id, model, i],
    );
    await db.conn.run(
      `INSERT INTO tracks (file_id, track_id, n_points, sigma_gradient, sigma_threshold, linearity_error, linearity_spec,
                           overall_status, offset_search, analysis_version, analyzed_at, near_miss)
       VALUES ($1, 'TRK1', 161, $2, 0.00065, $3, $4, 'PASS', 'exact', '1', now()::TIMESTAMP, false)`,
      [id, values.sigma_gradient?.[i] ?? 0.0002, values.linearity_error?.[i] ?? 0.01, spec],
    );
  }
}

/** A fresh database for `work`, closed after it. */
export async function withDb(work: (db: Database) => Promise<void>) {
  const { config } = await workspace();
  const db = await Database.open(config.db);
  try {
    await work(db);
  } finally {
    db.close();
  }
}
