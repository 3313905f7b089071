/**
 * The reads behind the engineers' pages: finding a unit by serial, model or file name, and a unit's whole
 * story (every trim file and re-trim of its serial, each track's verdict, its Final Tests). Each takes a
 * reading connection and plain parameters.
 */
import type { Queryable } from "./connection.ts";

/** Units (model and serial) and quarantined files whose serial, model or file name holds `q` (a page of each). */
export async function searchHistory(r: Queryable, q: string, limit: number, offset = 0) {
  const units = await r.rows(
    `SELECT model, serial, count(DISTINCT file_id)::INT AS files, strftime(max(test_date), '%Y-%m-%d %H:%M') AS last_test,
            arg_max(overall_status, test_date) AS last_status
     FROM v_tracks
     WHERE contains(lower(coalesce(serial, '')), lower($1)) OR contains(lower(coalesce(model, '')), lower($1))
        OR contains(lower(file_name), lower($1))
     GROUP BY model, serial ORDER BY max(test_date) DESC LIMIT $2 OFFSET $3`,
    [q, limit, offset],
  );
  const quarantined = await r.rows(
    `SELECT file_id, file_name, reason_code, reason FROM files
     WHERE status = 'quarantined' AND contains(lower(file_name), lower($1)) ORDER BY file_id DESC LIMIT $2 OFFSET $3`,
    [q, limit, offset],
  );
  return { units, quarantined };
}

/** Every analysed track of a unit, oldest first, with the file it came in. */
export function unitTracks(r: Queryable, model: string, serial: string) {
  return r.rows(
    `SELECT file_id, file_name, strftime(test_date, '%Y-%m-%d %H:%M') AS test_date, trim_note, track_id,
            overall_status, status_reason, sigma_gradient, sigma_threshold, linearity_error, linearity_spec,
            optimal_offset, fail_points, n_points
     FROM v_tracks WHERE model = $1 AND serial = $2 ORDER BY test_date, file_id, track_id`,
    [model, serial],
  );
}

/** The unit's Final Tests (matched on normalised model and serial, as `v_trim_vs_final` does). */
export function unitFinalTests(r: Queryable, model: string, serial: string) {
  return r.rows(
    `SELECT final_file_id AS file_id, final_file_name AS file_name, strftime(final_date, '%Y-%m-%d %H:%M') AS test_date,
            track_id, final_status AS status, outcome
     FROM v_trim_vs_final
     WHERE model_key = lta_model_key($1) AND serial_key = lta_serial_key($2)
     ORDER BY final_date, track_id`,
    [model, serial],
  );
}

/** Quarantined files, newest first (from row `offset`), with their reason; and how many there are in all. */
export async function quarantinedFiles(
  r: Queryable,
  limit: number,
  offset = 0,
  station: string | null = null,
) {
  const rows = await r.rows(
    `SELECT file_id, file_name, station, reason_code, reason, quarantine_path,
            strftime(ingested_at, '%Y-%m-%d %H:%M') AS quarantined_at
     FROM files WHERE status = 'quarantined' AND ($3::VARCHAR IS NULL OR station = $3)
     ORDER BY file_id DESC LIMIT $1 OFFSET $2`,
    [limit, offset, station],
  );
  const total = Number(
    await r.value(
      "SELECT count(*) FROM files WHERE status = 'quarantined' AND ($1::VARCHAR IS NULL OR station = $1)",
      [station],
    ),
  );
  return { rows, total };
}

/** Each nightly job's newest runs (up to 3 a job), newest first, with any error. */
export function recentJobRuns(r: Queryable) {
  return r.rows(
    `SELECT job, status, strftime(scheduled_for, '%Y-%m-%d %H:%M') AS scheduled_for,
            strftime(finished_at, '%Y-%m-%d %H:%M:%S') AS finished_at, attempts, error
     FROM schedule_runs
     QUALIFY row_number() OVER (PARTITION BY job ORDER BY scheduled_for DESC) <= 3
     ORDER BY job, scheduled_for DESC`,
  );
}
