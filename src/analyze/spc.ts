/**
 * Statistical process control over the history, per model: I-MR control limits (versioned in
 * `control_limits`), Nelson rules 1–8 evaluated in SQL with window functions, CUSUM and EWMA drift on sigma
 * gradient (recursive, so TypeScript over the ordered series), and alarms stored as episodes in `spc_alarms`.
 */
import type { Queryable } from "../db/database.ts";
import {
  type Episode,
  reachingNewest,
  type Series,
  seriesCte,
  seriesName,
  seriesParams,
  SPC_METRICS,
  type SpcMetric,
} from "./spc_series.ts";
import { driftEpisodes } from "./spc_drift.ts";
import { storeEpisodes } from "./spc_alarms.ts";
import { type ControlLimits, controlLimits } from "./control_limits.ts";
import { DEFAULT_K, ruleCondition } from "./nelson_rules.ts";

export { type Series, seriesName, SPC_METRICS, type SpcMetric };
export { type ControlLimits, controlLimits };

export interface SpcOptions {
  /** Points of the baseline that control limits (and the drift mean/σ) are computed from. */
  baseline: number;
  /** Nelson rules evaluated, per metric. */
  rules: Record<SpcMetric, number[]>;
  /** Rules of particular models, per metric, instead of `rules`. */
  modelRules?: Record<string, Partial<Record<SpcMetric, number[]>>>;
  /** K of each rule where it is not Minitab's default. */
  k?: Record<number, number>;
  /** Evaluate only the newest this-many points (incremental runs after a file); all when absent. */
  recent?: number;
}

/** Nelson-rule violations of the series against `limits`, as episodes (runs of consecutive triggers). */
export async function nelsonEpisodes(
  db: Queryable,
  series: Series,
  metric: SpcMetric,
  limits: ControlLimits,
  rules: number[],
  recent?: number,
  k: Record<number, number> = {},
): Promise<Episode[]> {
  const chosen = rules.flatMap((r) => {
    const c = ruleCondition(r, k[r] ?? DEFAULT_K[r]);
    return c ? [{ rule: r, ...c }] : [];
  });
  if (chosen.length === 0) return [];
  const flags = chosen.map((c) =>
    `(${c.window === 1 ? c.condition : `(${c.condition}) AND i >= ${c.window}`}) AS r${c.rule}`
  );
  const unpivot = chosen.map((c) => `SELECT ${c.rule} AS rule, i FROM flagged WHERE r${c.rule}`).join(
    " UNION ALL ",
  );
  const rows = await db.rows(
    `WITH ${seriesCte(metric, 4)},
     scored AS (
       SELECT i, (x - $2) / $3 AS z, sign(x - lag(x) OVER (ORDER BY i)) AS d FROM series
     ),
     with_prev AS (SELECT *, lag(d) OVER (ORDER BY i) AS d_prev FROM scored),
     flagged AS (SELECT i, ${flags.join(", ")} FROM with_prev),
     hits AS (${unpivot}),
     runs AS (SELECT rule, i, i - row_number() OVER (PARTITION BY rule ORDER BY i) AS run FROM hits)
     SELECT rule, min(i) AS first_hit, max(i) AS last_hit, (SELECT count(*) FROM series) AS total
     FROM runs GROUP BY rule, run ORDER BY rule, first_hit`,
    [series.model, limits.centre, limits.sigma, ...seriesParams(series)],
  );
  const byRule = new Map(chosen.map((c) => [c.rule, c]));
  const episodes = rows.map((r) => {
    const c = byRule.get(Number(r.rule))!;
    return {
      rule: `nelson_${c.rule}`,
      description: c.description,
      firstI: Number(r.first_hit) - c.window + 1,
      lastI: Number(r.last_hit),
    };
  });
  return reachingNewest(episodes, Number(rows[0]?.total ?? 0), recent);
}

export interface SpcSummary {
  models: number;
  /** Series checked: one per model and track. */
  series: number;
  newAlarms: number;
  /** The series that have no control limits yet, and why. */
  withoutLimits: Array<Series & { metric: SpcMetric; why: string }>;
}

/** The series (model, track and station) of `models`, every model's when absent. */
export async function seriesOf(db: Queryable, models?: string[]): Promise<Series[]> {
  const rows = await db.rows(
    `SELECT DISTINCT model, track_id, station FROM v_tracks
     WHERE model IS NOT NULL AND ($1::VARCHAR IS NULL OR model IN (SELECT unnest($1::VARCHAR[])))
     ORDER BY model, track_id, station NULLS FIRST`,
    [models ? JSON.stringify(models) : null],
  );
  return rows.map((r) => ({
    model: String(r.model),
    track: String(r.track_id),
    station: r.station === null ? null : String(r.station),
  }));
}

/**
 * Runs limits, Nelson rules and drift for each track of `models` (all models when absent). Caller owns the
 * transaction.
 */
export async function runSpc(db: Queryable, options: SpcOptions, models?: string[]): Promise<SpcSummary> {
  const list = await seriesOf(db, models);
  let newAlarms = 0;
  const withoutLimits: SpcSummary["withoutLimits"] = [];
  for (const series of list) {
    for (const metric of SPC_METRICS) {
      const limits = await controlLimits(db, series, metric, options.baseline);
      if ("why" in limits) {
        withoutLimits.push({ ...series, metric, why: limits.why });
        continue;
      }
      const rules = options.modelRules?.[series.model]?.[metric] ?? options.rules[metric];
      const episodes = await nelsonEpisodes(db, series, metric, limits, rules, options.recent, options.k);
      newAlarms += await storeEpisodes(db, series, metric, limits.version, episodes);
    }
    newAlarms += await storeEpisodes(
      db,
      series,
      "sigma_gradient",
      null,
      await driftEpisodes(db, series, options.baseline, options.recent),
    );
  }
  return { models: new Set(list.map((s) => s.model)).size, series: list.length, newAlarms, withoutLimits };
}
