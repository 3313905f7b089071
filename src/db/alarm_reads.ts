/**
 * The reads behind the alarm pages: alarms filtered by state, model, rule and date, and one alarm's
 * evidence (the tracks its points came from, in series order) with its acknowledgement history.
 */
import type { SpcMetric } from "../analyze/spc_series.ts";
import { seriesCte } from "../analyze/spc_series.ts";
import type { Queryable } from "./connection.ts";

export interface AlarmFilter {
  /** Open: not acknowledged, resolved or cleared. */
  show: "open" | "acknowledged" | "resolved" | "all";
  model: string | null;
  rule: string | null;
  station?: string | null;
  kind?: string | null;
  severity?: string | null;
  /** Alarms whose last point is on or after this day. */
  from: string | null;
  limit: number;
  /** Rows skipped first (paging). */
  offset?: number;
}

const ALARM_COLUMNS =
  `alarm_id, kind, model, track_id, station, subject, metric, rule, severity, description, points, first_file_id, last_file_id, file_ids,
  strftime(cleared_at, '%Y-%m-%d %H:%M') AS cleared_at,
  strftime(first_at, '%Y-%m-%d %H:%M') AS first_at, strftime(last_at, '%Y-%m-%d %H:%M') AS last_at,
  acknowledged_by, strftime(acknowledged_at, '%Y-%m-%d %H:%M') AS acknowledged_at, assignable_cause,
  resolved_by, strftime(resolved_at, '%Y-%m-%d %H:%M') AS resolved_at, corrective_action`;

/** Alarms of every kind, newest episode first. */
export function alarmList(r: Queryable, f: AlarmFilter) {
  return r.rows(
    `SELECT ${ALARM_COLUMNS} FROM v_alarms
     WHERE CASE $1 WHEN 'open' THEN is_open
                   WHEN 'acknowledged' THEN acknowledged_at IS NOT NULL AND resolved_at IS NULL
                   WHEN 'resolved' THEN resolved_at IS NOT NULL ELSE true END
       AND ($2::VARCHAR IS NULL OR model = $2) AND ($3::VARCHAR IS NULL OR rule = $3)
       AND ($4::DATE IS NULL OR last_at >= $4::DATE)
       AND ($7::VARCHAR IS NULL OR station = $7) AND ($8::VARCHAR IS NULL OR kind = $8)
       AND ($9::VARCHAR IS NULL OR severity = $9)
     ORDER BY last_at DESC, alarm_id DESC LIMIT $5 OFFSET $6`,
    [
      f.show,
      f.model,
      f.rule,
      f.from,
      f.limit,
      f.offset ?? 0,
      f.station ?? null,
      f.kind ?? null,
      f.severity ?? null,
    ],
  );
}

/** The rules alarms have been raised by, for the filter. */
export async function alarmRules(r: Queryable): Promise<string[]> {
  return (await r.rows("SELECT DISTINCT rule FROM v_alarms ORDER BY 1")).map((x) => String(x.rule));
}

/** One alarm, its acknowledgements oldest first, and its points; `null` when there is no such alarm. */
export async function alarmEvidence(r: Queryable, id: number) {
  const [alarm] = await r.rows(`SELECT ${ALARM_COLUMNS} FROM v_alarms WHERE alarm_id = $1`, [id]);
  if (!alarm) return null;
  const acknowledgements = await r.rows(
    `SELECT strftime(acknowledged_at, '%Y-%m-%d %H:%M') AS at, acknowledged_by AS by, assignable_cause AS cause, note,
            coalesce(action, 'acknowledge') AS action, corrective_action
     FROM alarm_acknowledgements WHERE alarm_id = $1 ORDER BY acknowledged_at`,
    [id],
  );
  // A health alarm (a silent station, a failed job) has no points of a series behind it.
  if (!alarm.metric) return { alarm, acknowledgements, points: [] };
  const points = await r.rows(
    `WITH ${seriesCte(alarm.metric as SpcMetric, 5)}
     SELECT i, x AS value, file_id, serial, track_id, strftime(test_date, '%Y-%m-%d %H:%M') AS test_date
     FROM series WHERE file_id IN (SELECT unnest(file_ids) FROM spc_alarms WHERE alarm_id = $2)
       AND i BETWEEN (SELECT min(i) FROM series WHERE file_id = $3) AND (SELECT max(i) FROM series WHERE file_id = $4)
     ORDER BY i`,
    [
      alarm.model as string,
      id,
      alarm.first_file_id as bigint,
      alarm.last_file_id as bigint,
      (alarm.track_id as string | null) ?? null,
      (alarm.station as string | null) ?? null,
    ],
  );
  return { alarm, acknowledgements, points };
}

/** The stations alarms have been raised for (silence), for the filter. */
export async function stationsWithAlarms(r: Queryable): Promise<string[]> {
  return (await r.rows("SELECT DISTINCT station FROM v_alarms WHERE station IS NOT NULL ORDER BY 1"))
    .map((x) => String(x.station));
}

/** The models alarms have been raised for, for the filter. */
export async function modelsWithAlarms(r: Queryable): Promise<string[]> {
  return (await r.rows("SELECT DISTINCT model FROM v_alarms WHERE model IS NOT NULL ORDER BY 1")).map((x) =>
    String(x.model)
  );
}

/** Open alarms per kind, model, metric, station and severity (for `/metrics`). */
export function openAlarmCounts(r: Queryable) {
  return r.rows(
    `SELECT kind, coalesce(model, '') AS model, coalesce(metric, '') AS metric, coalesce(station, '') AS station,
            severity, count(*) AS open
     FROM v_alarms WHERE is_open
     GROUP BY ALL ORDER BY ALL`,
  );
}
