/**
 * I-MR control limits, versioned in `control_limits` and locked: version 1 comes from the first baseline
 * points of a series by itself; a later version only when an engineer recomputes deliberately, from a
 * baseline they name (the first N points from a date, or a date range), leaving out the files they excluded
 * (`spc_exclusions`), with who and why kept beside the numbers.
 */
import type { Queryable } from "../db/database.ts";
import { limitsKey, type Series, seriesCte, seriesParams, type SpcMetric } from "./spc_series.ts";

/** d2 for subgroups of 2: the moving range of individuals. */
const D2 = 1.128;

export interface ControlLimits {
  version: number;
  centre: number;
  sigma: number;
  lcl: number;
  ucl: number;
}

/** The points a limits version is computed from: tested on or after `from`, up to `to`, at most `points`. */
export interface Baseline {
  from?: string;
  /** The last day included. */
  to?: string;
  points?: number;
}

/** Who recomputes limits, and why. */
export interface LimitsChange {
  by: string;
  reason: string;
}

/** Why a series has no limits. */
export type NoLimits = { why: string };

/** The newest limits of (series, metric), computing version 1 from its first `baseline` points when there are none. */
export async function controlLimits(
  db: Queryable,
  series: Series,
  metric: SpcMetric,
  baseline: number,
): Promise<ControlLimits | NoLimits> {
  const current = await currentLimits(db, series, metric);
  if (current) return current;
  return await recomputeLimits(
    db,
    series,
    metric,
    { points: baseline },
    { by: "lta", reason: "first limits" },
    baseline,
  );
}

async function currentLimits(
  db: Queryable,
  series: Series,
  metric: SpcMetric,
): Promise<ControlLimits | null> {
  const [current] = await db.rows(
    `SELECT version, centre, sigma, lcl, ucl FROM control_limits WHERE model = $1 AND track_id = $3 AND station = $4 AND metric = $2
     ORDER BY version DESC LIMIT 1`,
    [series.model, metric, ...limitsKey(series)],
  );
  return (current as unknown as ControlLimits) ?? null;
}

/**
 * Adds a version of the limits of (series, metric) from `baseline`, at least `minPoints` of them (the caller
 * has checked that the baseline is named).
 */
export async function recomputeLimits(
  db: Queryable,
  series: Series,
  metric: SpcMetric,
  baseline: Baseline,
  change: LimitsChange,
  minPoints: number,
): Promise<ControlLimits | NoLimits> {
  const [b] = await db.rows(
    `WITH ${seriesCte(metric, 6)},
     chosen AS (
       SELECT * FROM series
       WHERE ($2::DATE IS NULL OR test_date >= $2::DATE) AND ($3::DATE IS NULL OR test_date < $3::DATE + 1)
     ),
     base AS (
       SELECT * FROM chosen
       WHERE file_id NOT IN (SELECT file_id FROM spc_exclusions WHERE model = $1 AND (metric IS NULL OR metric = $5))
       ORDER BY i LIMIT $4
     )
     SELECT count(*) AS n, avg(x) AS centre, min(test_date)::VARCHAR AS t0, max(test_date)::VARCHAR AS t1,
            (SELECT avg(mr) FROM (SELECT abs(x - lag(x) OVER (ORDER BY i)) AS mr FROM base)) AS mr_bar,
            (SELECT count(*) FROM chosen WHERE i <= (SELECT max(i) FROM base)) - count(*) AS excluded
     FROM base`,
    [
      series.model,
      baseline.from ?? null,
      baseline.to ?? null,
      baseline.points ?? 2_147_483_647,
      metric,
      ...seriesParams(series),
    ],
  );
  const n = Number(b.n);
  if (n < minPoints) return { why: `${n} points in the baseline, at least ${minPoints} needed` };
  if (!(Number(b.mr_bar) > 0)) return { why: `the ${n} baseline points do not vary (moving range 0)` };
  const sigma = Number(b.mr_bar) / D2;
  const centre = Number(b.centre);
  const version = Number((await currentLimits(db, series, metric))?.version ?? 0) + 1;
  const limits = { version, centre, sigma, lcl: centre - 3 * sigma, ucl: centre + 3 * sigma };
  await db.exec(
    `INSERT INTO control_limits (model, metric, version, centre, sigma, lcl, ucl, mr_bar, n, computed_from, computed_to,
                                 computed_at, computed_by, reason, baseline, excluded, track_id, station)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::TIMESTAMP, $11::TIMESTAMP, now()::TIMESTAMP, $12, $13, $14, $15,
             $16, $17)`,
    [
      series.model,
      metric,
      version,
      centre,
      sigma,
      limits.lcl,
      limits.ucl,
      Number(b.mr_bar),
      n,
      String(b.t0),
      String(b.t1),
      change.by,
      change.reason,
      baselineText(baseline),
      Number(b.excluded),
      ...limitsKey(series),
    ],
  );
  return limits;
}

/** "first 30 points from 2026-11-01", "2026-11-01 to 2026-11-10": how the baseline was chosen. */
function baselineText(b: Baseline): string {
  const span = b.from && b.to ? `${b.from} to ${b.to}` : b.from ? `from ${b.from}` : b.to ? `to ${b.to}` : "";
  return [b.points ? `first ${b.points} points` : "all points", span].filter(Boolean).join(" ");
}
