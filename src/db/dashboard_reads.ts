/**
 * The reads behind the dashboard: what the history holds in a date range (optionally of one station
 * system), the daily pass rate, each model's signs of trouble, and why tracks did not pass. Ranges are
 * test days, `from` `null` for all history.
 */
import type { Queryable } from "./connection.ts";

export interface HistoryFilter {
  from: string | null;
  /** The last day included. */
  to: string;
  /** A station layout (`A`), or a station as `station:LT-3`. */
  system: string | null;
}

/** Whether a `v_tracks` row comes from the layout or station in `param` (see `HistoryFilter.system`). */
export const FROM_SOURCE = (param: string) =>
  `(${param}::VARCHAR IS NULL OR system = ${param} OR 'station:' || station = ${param})`;

/** Why a track did not pass, as the Pareto and the report name it. */
export const FAILURE_REASON = `CASE overall_status WHEN 'FAIL' THEN 'linearity outside limits'
  WHEN 'WARNING' THEN 'sigma gradient above threshold'
  ELSE 'not analysable: ' || split_part(status_reason, ':', 1) END`;

/** The test-date condition on `$1` (from), `$2` (to) and `$3` (layout or station), for `v_tracks`-shaped rows. */
export const IN_RANGE = `($1::DATE IS NULL OR test_date >= $1::DATE) AND test_date < $2::DATE + 1
  AND ${FROM_SOURCE("$3")}`;

const params = (f: HistoryFilter) => [f.from, f.to, f.system];

/** When the history last changed: the newest load and the newest test. */
export async function dataAsOf(r: Queryable) {
  const [row] = await r.rows(
    `SELECT strftime(max(ingested_at), '%Y-%m-%d %H:%M') AS loaded, strftime(max(test_date), '%Y-%m-%d %H:%M') AS tested
     FROM files`,
  );
  return { loaded: row?.loaded as string | null, tested: row?.tested as string | null };
}

/** The dashboard's cards: volume around `today`, pass rates over 30 and 90 days, and the range's rates. */
export async function dashboardCards(r: Queryable, f: HistoryFilter, today: string) {
  const [around] = await r.rows(
    `SELECT count(DISTINCT file_id) FILTER (WHERE test_date >= $2::DATE) AS files_today,
            count(DISTINCT file_id) FILTER (WHERE test_date >= date_trunc('week', $2::DATE)) AS files_week,
            avg((overall_status = 'PASS')::INT) FILTER (WHERE test_date >= $2::DATE - 29) AS pass_30,
            avg((overall_status = 'PASS')::INT) AS pass_90
     FROM v_tracks
     WHERE test_date >= $2::DATE - 89 AND test_date < $2::DATE + 1 AND ${FROM_SOURCE("$1")}`,
    [f.system, today],
  );
  const [range] = await r.rows(
    `SELECT count(*) AS tracks, count(DISTINCT file_id) AS files, avg((overall_status = 'PASS')::INT) AS pass_rate,
            avg(near_miss::INT) AS near_miss_rate
     FROM v_tracks WHERE ${IN_RANGE}`,
    params(f),
  );
  const [finals] = await r.rows(
    `SELECT count(*) FILTER (WHERE outcome IS NOT NULL) AS judged, count(*) FILTER (WHERE outcome = 'escape') AS escapes
     FROM trim_vs_final_in($1, $2) WHERE $3::VARCHAR IS NULL OR final_system = $3 OR final_system IS NULL`,
    params(f),
  );
  const openAlarms = await r.value(
    "SELECT count(*) FROM v_alarms WHERE is_open",
  );
  return { ...around, ...range, ...finals, open_alarms: openAlarms };
}

/** The pass rate of each test day in the range, with its track count (days without tests are absent). */
export function dailyPassRate(r: Queryable, f: HistoryFilter) {
  return r.rows(
    `SELECT strftime(test_date::DATE, '%Y-%m-%d') AS day, avg((overall_status = 'PASS')::INT) AS pass_rate,
            count(*) AS tracks
     FROM v_tracks WHERE ${IN_RANGE} GROUP BY 1 ORDER BY 1`,
    params(f),
  );
}

/**
 * Per model in the range: volume, pass rate, the pass rate of the equal period before (`before`, `null`
 * for all history), and its open alarms, drift alarms among them.
 */
export function modelSigns(r: Queryable, f: HistoryFilter, before: { from: string; to: string } | null) {
  return r.rows(
    `WITH now AS (
       SELECT model, count(*) AS tracks, avg((overall_status = 'PASS')::INT) AS pass_rate,
              count(*) FILTER (WHERE overall_status IN ('FAIL', 'WARNING')) AS failing
       FROM v_tracks WHERE ${IN_RANGE} AND model IS NOT NULL GROUP BY model),
     prev AS (
       SELECT model, avg((overall_status = 'PASS')::INT) AS pass_rate FROM v_tracks
       WHERE $4::DATE IS NOT NULL AND test_date >= $4::DATE AND test_date < $5::DATE + 1
         AND ${FROM_SOURCE("$3")} GROUP BY model),
     alarms AS (
       SELECT model, count(*) AS open, count(*) FILTER (WHERE rule LIKE 'cusum%' OR rule LIKE 'ewma%') AS drift
       FROM spc_alarms WHERE acknowledged_at IS NULL GROUP BY model)
     SELECT now.model, now.tracks, now.failing, now.pass_rate, prev.pass_rate AS pass_rate_before,
            coalesce(alarms.open, 0) AS open_alarms, coalesce(alarms.drift, 0) AS drift_alarms
     FROM now LEFT JOIN prev USING (model) LEFT JOIN alarms USING (model) ORDER BY now.model`,
    [...params(f), before?.from ?? null, before?.to ?? null],
  );
}

/** Why tracks in the range did not pass, most frequent first, with the cumulative share. */
export function failurePareto(r: Queryable, f: HistoryFilter) {
  return r.rows(
    `SELECT reason, tracks, sum(tracks) OVER (ORDER BY tracks DESC, reason ROWS UNBOUNDED PRECEDING)
              / sum(tracks) OVER () AS cumulative
     FROM (SELECT ${FAILURE_REASON} AS reason, count(*) AS tracks FROM v_tracks
           WHERE ${IN_RANGE} AND overall_status <> 'PASS' GROUP BY 1)
     ORDER BY tracks DESC, reason`,
    params(f),
  );
}

/**
 * The stations side by side in the range: volume, pass and near-miss rates, the newest test, the last file
 * loaded (UTC), and open silence alarms. Only files that record a station (schema version 7 on).
 */
export function stationComparison(r: Queryable, f: HistoryFilter) {
  return r.rows(
    `SELECT t.station, count(DISTINCT t.file_id) AS files, count(*) AS tracks,
            avg((t.overall_status = 'PASS')::INT) AS pass_rate, avg(t.near_miss::INT) AS near_miss_rate,
            strftime(max(t.test_date), '%Y-%m-%d %H:%M') AS last_test,
            (SELECT strftime(max(ingested_at), '%Y-%m-%d %H:%M') FROM files WHERE files.station = t.station)
              AS last_loaded,
            (SELECT count(*) FROM v_alarms a WHERE a.station = t.station AND a.is_open) AS open_alarms
     FROM v_tracks t WHERE ${IN_RANGE} AND t.station IS NOT NULL GROUP BY t.station ORDER BY t.station`,
    params(f),
  );
}

/**
 * What the filter offers: the station layouts (`A`, `B`), then the stations files came from, as
 * `station:NAME` (config `stations`, else the inbox subfolder).
 */
export async function knownSystems(r: Queryable) {
  return (await r.rows(
    `SELECT * FROM (SELECT system, station FROM station_layouts ORDER BY system)
     UNION ALL
     SELECT * FROM (SELECT DISTINCT 'station:' || station, station FROM files WHERE station IS NOT NULL ORDER BY 2)`,
  )) as Array<{ system: string; station: string }>;
}
