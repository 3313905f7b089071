/** SPC episodes stored as alarms in `spc_alarms`, one row per episode, updated while it grows. */
import type { Queryable } from "../db/database.ts";
import { type Episode, type Series, seriesCte, seriesParams, type SpcMetric } from "./spc_series.ts";

/** Writes episodes as alarms: a new episode is a new alarm; one that grew updates its alarm. */
export async function storeEpisodes(
  db: Queryable,
  series: Series,
  metric: SpcMetric,
  limitsVersion: number | null,
  episodes: Episode[],
): Promise<number> {
  if (episodes.length === 0) return 0;
  let created = 0;
  // One read of the series and of the alarms already stored, however many episodes there are.
  const lo = Math.min(...episodes.map((e) => e.firstI));
  const hi = Math.max(...episodes.map((e) => e.lastI));
  const points = await db.rows(
    `WITH ${
      seriesCte(metric, 4)
    } SELECT i, file_id, test_date::VARCHAR AS t FROM series WHERE i BETWEEN $2 AND $3 ORDER BY i`,
    [series.model, lo, hi, ...seriesParams(series)],
  );
  const alarms = new Map(
    (await db.rows(
      `SELECT alarm_id, rule, first_file_id, last_file_id, points FROM spc_alarms
       WHERE model = $1 AND metric = $2 AND track_id IS NOT DISTINCT FROM $3
         AND station IS NOT DISTINCT FROM $4`,
      [series.model, metric, series.track, series.station],
    )).map((a) => [`${a.rule}/${a.first_file_id}`, a]),
  );
  for (const e of episodes) {
    const run = points.slice(Math.max(0, e.firstI - lo), e.lastI - lo + 1);
    if (run.length === 0) continue;
    const existing = alarms.get(`${e.rule}/${Number(run[0].file_id)}`);
    if (existing) await grownAlarm(db, existing, run);
    else {
      await newAlarm(db, { series, metric, limitsVersion, episode: e }, run);
      created++;
    }
  }
  return created;
}

type SeriesPoint = Record<string, unknown>;

/**
 * The episode's file ids as one text parameter: a DuckDB list value makes a native value object per
 * element, which under Deno is never freed (docs/memory.md).
 */
const fileIdList = (points: SeriesPoint[]) => `[${points.map((p) => Number(p.file_id)).join(",")}]`;

/** An alarm whose episode has grown since the last run takes its new end; one that has not stays as stored. */
async function grownAlarm(db: Queryable, existing: SeriesPoint, points: SeriesPoint[]): Promise<void> {
  const last = points.at(-1)!;
  if (Number(existing.last_file_id) === Number(last.file_id) && Number(existing.points) === points.length) {
    return;
  }
  await db.exec(
    `UPDATE spc_alarms SET last_at = $2::TIMESTAMP, last_file_id = $3, file_ids = $4::VARCHAR::BIGINT[], points = $5
     WHERE alarm_id = $1`,
    [Number(existing.alarm_id), String(last.t), Number(last.file_id), fileIdList(points), points.length],
  );
}

async function newAlarm(
  db: Queryable,
  a: { series: Series; metric: SpcMetric; limitsVersion: number | null; episode: Episode },
  points: SeriesPoint[],
): Promise<void> {
  const first = points[0];
  const last = points.at(-1)!;
  await db.exec(
    `INSERT INTO spc_alarms (model, metric, rule, description, limits_version, first_at, last_at, first_file_id,
                             last_file_id, file_ids, points, created_at, track_id, station)
     VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMP, $7::TIMESTAMP, $8, $9, $10::VARCHAR::BIGINT[], $11, now()::TIMESTAMP,
             $12, $13)`,
    [
      a.series.model,
      a.metric,
      a.episode.rule,
      a.episode.description,
      a.limitsVersion,
      String(first.t),
      String(last.t),
      Number(first.file_id),
      Number(last.file_id),
      fileIdList(points),
      points.length,
      a.series.track,
      a.series.station,
    ],
  );
}
