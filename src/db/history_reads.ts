/**
 * The reads the HTTP API and the live page serve: ledger rows, verdicts, per-model summaries and the
 * nightly jobs' last runs. Each takes a reading connection (committed data only) and plain parameters.
 */
import type { Queryable } from "./connection.ts";

/** The newest ledger rows, optionally of one status. */
export function listFiles(r: Queryable, status: string | null, limit: number) {
  return r.rows(
    `SELECT file_id, file_name, status, reason_code, system, model, serial, test_date, n_tracks, n_points,
            ingested_at FROM files WHERE ($1::VARCHAR IS NULL OR status = $1) ORDER BY file_id DESC LIMIT $2`,
    [status, limit],
  );
}

/** One ledger row with its verdicts, or `null`. */
export async function fileWithTracks(r: Queryable, id: number) {
  const [file] = await r.rows("SELECT * FROM files WHERE file_id = $1", [id]);
  if (!file) return null;
  const tracks = await r.rows("SELECT * FROM tracks WHERE file_id = $1 ORDER BY track_id", [id]);
  return { ...file, tracks };
}

export interface TrackFilter {
  model: string | null;
  /** YYYY-MM-DD, already checked. */
  since: string | null;
  status: string | null;
  limit: number;
}

/** Verdicts from `v_tracks`, newest test first. */
export function listTracks(r: Queryable, f: TrackFilter) {
  return r.rows(
    `SELECT file_id, file_name, model, serial, test_date, track_id, overall_status, status_reason, n_points,
            sigma_gradient, sigma_threshold, linearity_error, linearity_spec, fail_points, failure_probability,
            risk_category
     FROM v_tracks
     WHERE ($1::VARCHAR IS NULL OR model = $1) AND ($2::VARCHAR IS NULL OR test_date >= $2::TIMESTAMP)
       AND ($3::VARCHAR IS NULL OR overall_status = upper($3))
     ORDER BY test_date DESC, file_id DESC, track_id LIMIT $4`,
    [f.model, f.since, f.status, f.limit],
  );
}

/** Per model: tracks, files, pass rates, near misses and the last test. */
export function modelSummaries(r: Queryable) {
  return r.rows(
    `SELECT model, count(*) AS tracks, count(DISTINCT file_id) AS files,
            avg((overall_status = 'PASS')::INTEGER) AS pass_rate, avg(sigma_pass::INTEGER) AS sigma_pass_rate,
            count(*) FILTER (WHERE near_miss) AS near_misses, max(test_date) AS last_test
     FROM v_tracks GROUP BY model ORDER BY model`,
  );
}

/** Each nightly job's last run: its status and when it finished (Unix seconds). */
export function lastJobRuns(r: Queryable) {
  return r.rows(
    `SELECT job, status, epoch(finished_at) AS finished FROM schedule_runs
     QUALIFY row_number() OVER (PARTITION BY job ORDER BY scheduled_for DESC) = 1`,
  );
}

/** The 20 newest files with each track's status as `TRK1:PASS`. */
export function latestFiles(r: Queryable) {
  return r.rows(
    `SELECT f.file_id, f.file_name, f.status, f.reason_code, f.model, f.serial, strftime(f.ingested_at, '%Y-%m-%d %H:%M:%S') AS at,
            list(t.track_id || ':' || t.overall_status ORDER BY t.track_id) FILTER (WHERE t.track_id IS NOT NULL) AS tracks
     FROM (SELECT * FROM files ORDER BY file_id DESC LIMIT 20) f LEFT JOIN tracks t USING (file_id)
     GROUP BY ALL ORDER BY f.file_id DESC`,
  );
}

/** Whether a reading connection answers at all (`/ready`); throws DuckDB's error when it does not. */
export async function answers(r: Queryable): Promise<void> {
  await r.value("SELECT 1");
}

/**
 * A token that changes whenever what the history pages show can change: files loaded or quarantined,
 * tracks (re-)analysed, limits recomputed, alarms raised, grown or acknowledged.
 */
export async function dataVersion(r: Queryable): Promise<string> {
  const [v] = await r.rows(
    `SELECT (SELECT concat_ws('/', max(file_id), count(*), max(ingested_at)) FROM files) AS files,
            (SELECT concat_ws('/', max(analyzed_at), count(*)) FROM tracks) AS tracks,
            (SELECT concat_ws('/', count(*), max(last_at), max(acknowledged_at)) FROM spc_alarms) AS alarms,
            (SELECT concat_ws('/', count(*), max(computed_at)) FROM control_limits) AS limits,
            (SELECT count(*) FROM alarm_acknowledgements) AS acks`,
  );
  return Object.values(v).join("|");
}
