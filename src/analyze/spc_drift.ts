/** Drift on sigma gradient: CUSUM and EWMA after the baseline, point by point (recursive, so TypeScript). */
import type { Queryable } from "../db/database.ts";
import {
  AlarmTracker,
  type Episode,
  reachingNewest,
  type Series,
  seriesCte,
  seriesParams,
} from "./spc_series.ts";

/** The CUSUM and EWMA statistics of a model's sigma gradient, point by point after the baseline. */
export interface DriftSeries {
  mu: number;
  sd: number;
  /** Decision interval h = 5σ for both CUSUM sums. */
  h: number;
  ewmaUcl: number;
  ewmaLcl: number;
  /** Each point after the baseline, with its test date (`YYYY-MM-DD HH:MM:SS`). */
  points: Array<{ i: number; t: string; cusumHi: number; cusumLo: number; ewma: number }>;
}

/** CUSUM (k = 0.5σ, h = 5σ) and EWMA (λ = 0.2, ±3σ√(λ/(2−λ))) after a baseline of `baseline` points. */
export async function driftSeries(
  db: Queryable,
  series: Series,
  baseline: number,
): Promise<DriftSeries | null> {
  const rows = await db.rows(
    `WITH ${
      seriesCte("sigma_gradient", 2)
    } SELECT x, strftime(test_date, '%Y-%m-%d %H:%M:%S') AS t FROM series ORDER BY i`,
    [series.model, ...seriesParams(series)],
  );
  const xs = rows.map((r) => r.x as number);
  if (xs.length <= baseline) return null;
  const base = xs.slice(0, baseline);
  const mu = base.reduce((s, x) => s + x, 0) / baseline;
  const sd = Math.sqrt(base.reduce((s, x) => s + (x - mu) ** 2, 0) / (baseline - 1));
  // A constant baseline (up to rounding) has no σ to measure drift against.
  if (!(sd > 1e-9 * Math.abs(mu))) return null;
  const k = 0.5 * sd;
  const lambda = 0.2;
  const ewmaLimit = 3 * sd * Math.sqrt(lambda / (2 - lambda));
  const points: DriftSeries["points"] = [];
  let hi = 0;
  let lo = 0;
  let ewma = mu;
  for (let n = baseline; n < xs.length; n++) {
    hi = Math.max(0, hi + (xs[n] - mu) - k);
    lo = Math.max(0, lo + (mu - xs[n]) - k);
    ewma = lambda * xs[n] + (1 - lambda) * ewma;
    points.push({ i: n + 1, t: String(rows[n].t), cusumHi: hi, cusumLo: lo, ewma });
  }
  return { mu, sd, h: 5 * sd, ewmaUcl: mu + ewmaLimit, ewmaLcl: mu - ewmaLimit, points };
}

/** Drift alarms (episodes) from the drift statistics. */
export async function driftEpisodes(
  db: Queryable,
  series: Series,
  baseline: number,
  recent?: number,
): Promise<Episode[]> {
  const d = await driftSeries(db, series, baseline);
  if (!d) return [];
  const tracker = new AlarmTracker();
  for (const p of d.points) {
    tracker.step("cusum_upper", "CUSUM: sigma gradient drifting up", p.cusumHi > d.h, p.i);
    tracker.step("cusum_lower", "CUSUM: sigma gradient drifting down", p.cusumLo > d.h, p.i);
    tracker.step("ewma_upper", "EWMA above its upper limit", p.ewma > d.ewmaUcl, p.i);
    tracker.step("ewma_lower", "EWMA below its lower limit", p.ewma < d.ewmaLcl, p.i);
  }
  return reachingNewest(tracker.done(), d.points.at(-1)?.i ?? 0, recent);
}
