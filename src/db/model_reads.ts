/** The reads behind a model's page: its scorecard in a range and the tracks it has. */
import type { Queryable } from "./connection.ts";
import { type HistoryFilter, IN_RANGE } from "./dashboard_reads.ts";

/** A model's volume and verdict rates in the range, of one track (`TRK1`) or all; `null` without tracks. */
export async function modelScorecard(r: Queryable, model: string, f: HistoryFilter, track: string | null) {
  const [row] = await r.rows(
    `SELECT count(*) AS tracks, count(DISTINCT file_id) AS files, count(DISTINCT serial) AS units,
            avg((overall_status = 'PASS')::INT) AS pass_rate, avg(sigma_pass::INT) AS sigma_pass_rate,
            avg(linearity_pass::INT) AS linearity_pass_rate, count(*) FILTER (WHERE near_miss) AS near_misses,
            count(*) FILTER (WHERE overall_status = 'FAIL') AS fails,
            count(*) FILTER (WHERE overall_status = 'WARNING') AS warnings,
            strftime(min(test_date), '%Y-%m-%d') AS first_test, strftime(max(test_date), '%Y-%m-%d %H:%M') AS last_test
     FROM v_tracks WHERE ${IN_RANGE} AND model = $4 AND ($5::VARCHAR IS NULL OR track_id = $5)`,
    [f.from, f.to, f.system, model, track],
  );
  return row && Number(row.tracks) > 0 ? row : null;
}

/** The track ids a model has (TRK1, TRK2, …), for the track filter. */
export async function modelTrackIds(r: Queryable, model: string): Promise<string[]> {
  return (await r.rows("SELECT DISTINCT track_id FROM v_tracks WHERE model = $1 ORDER BY 1", [model]))
    .map((x) => String(x.track_id));
}

/** The newest failing tracks of the model in the range, for links to their units. */
export function modelFailures(
  r: Queryable,
  model: string,
  f: HistoryFilter,
  track: string | null,
  limit: number,
) {
  return r.rows(
    `SELECT file_id, serial, track_id, overall_status, status_reason, strftime(test_date, '%Y-%m-%d %H:%M') AS test_date
     FROM v_tracks WHERE ${IN_RANGE} AND model = $4 AND ($5::VARCHAR IS NULL OR track_id = $5)
       AND overall_status <> 'PASS'
     ORDER BY test_date DESC, file_id DESC LIMIT $6`,
    [f.from, f.to, f.system, model, track, limit],
  );
}
