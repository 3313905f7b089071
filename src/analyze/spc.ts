/**
 * Statistical process control over the history, per model: I-MR control limits (versioned in
 * `control_limits`), Nelson rules 1–8 evaluated in SQL with window functions, CUSUM and EWMA drift on sigma
 * gradient (recursive, so TypeScript over the ordered series), and alarms stored as episodes in `spc_alarms`.
 */
import type { Queryable } from "../db/database.ts";
import { type Episode, reachingNewest, seriesCte, SPC_METRICS, type SpcMetric } from "./spc_series.ts";
import { driftEpisodes } from "./spc_drift.ts";
import { storeEpisodes } from "./spc_alarms.ts";

export { SPC_METRICS, type SpcMetric };

export interface SpcOptions {
  /** Points of the baseline that control limits (and the drift mean/σ) are computed from. */
  baseline: number;
  /** Nelson rules evaluated, per metric. */
  rules: Record<SpcMetric, number[]>;
  /** Evaluate only the newest this-many points (incremental runs after a file); all when absent. */
  recent?: number;
}

/** d2 for subgroups of 2: the moving range of individuals. */
const D2 = 1.128;

const RULES: Record<number, { window: number; description: string; condition: string }> = {
  1: { window: 1, description: "one point beyond 3σ", condition: "abs(z) > 3" },
  2: {
    window: 9,
    description: "nine points in a row on one side of the centre line",
    condition: "sum((z > 0)::INT) OVER w9 = 9 OR sum((z < 0)::INT) OVER w9 = 9",
  },
  3: {
    window: 6,
    description: "six points in a row steadily increasing or decreasing",
    condition: "sum((d > 0)::INT) OVER w5 = 5 OR sum((d < 0)::INT) OVER w5 = 5",
  },
  4: {
    window: 14,
    description: "fourteen points in a row alternating up and down",
    condition: "sum((d * d_prev < 0)::INT) OVER w12 = 12",
  },
  5: {
    window: 3,
    description: "two of three points beyond 2σ on the same side",
    condition: "sum((z > 2)::INT) OVER w3 >= 2 OR sum((z < -2)::INT) OVER w3 >= 2",
  },
  6: {
    window: 5,
    description: "four of five points beyond 1σ on the same side",
    condition: "sum((z > 1)::INT) OVER w5 >= 4 OR sum((z < -1)::INT) OVER w5 >= 4",
  },
  7: {
    window: 15,
    description: "fifteen points in a row within 1σ of the centre line",
    condition: "sum((abs(z) < 1)::INT) OVER w15 = 15",
  },
  8: {
    window: 8,
    description: "eight points in a row beyond 1σ, on both sides, none within",
    condition:
      "sum((abs(z) > 1)::INT) OVER w8 = 8 AND sum((z > 1)::INT) OVER w8 > 0 AND sum((z < -1)::INT) OVER w8 > 0",
  },
};

export interface ControlLimits {
  version: number;
  centre: number;
  sigma: number;
  lcl: number;
  ucl: number;
}

/** The newest limits of (model, metric), computing version 1 from the baseline when there are none. */
export async function controlLimits(
  db: Queryable,
  model: string,
  metric: SpcMetric,
  baseline: number,
  recompute = false,
): Promise<ControlLimits | null> {
  const [current] = await db.rows(
    "SELECT version, centre, sigma, lcl, ucl FROM control_limits WHERE model = $1 AND metric = $2 ORDER BY version DESC LIMIT 1",
    [model, metric],
  );
  if (current && !recompute) return current as unknown as ControlLimits;
  const [b] = await db.rows(
    `WITH ${seriesCte(metric)}, base AS (SELECT * FROM series ${
      recompute ? "ORDER BY i DESC" : "ORDER BY i"
    } LIMIT $2)
     SELECT count(*) AS n, avg(x) AS centre, min(test_date)::VARCHAR AS t0, max(test_date)::VARCHAR AS t1,
            (SELECT avg(mr) FROM (SELECT abs(x - lag(x) OVER (ORDER BY i)) AS mr FROM base)) AS mr_bar
     FROM base`,
    [model, baseline],
  );
  if (Number(b.n) < baseline || !(Number(b.mr_bar) > 0)) return null;
  const sigma = Number(b.mr_bar) / D2;
  const centre = Number(b.centre);
  const version = Number(current?.version ?? 0) + 1;
  const limits = { version, centre, sigma, lcl: centre - 3 * sigma, ucl: centre + 3 * sigma };
  await db.exec(
    `INSERT INTO control_limits VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::TIMESTAMP, $11::TIMESTAMP, now()::TIMESTAMP)`,
    [
      model,
      metric,
      version,
      centre,
      sigma,
      limits.lcl,
      limits.ucl,
      Number(b.mr_bar),
      Number(b.n),
      String(b.t0),
      String(b.t1),
    ],
  );
  return limits;
}

/** Nelson-rule violations of the series against `limits`, as episodes (runs of consecutive triggers). */
export async function nelsonEpisodes(
  db: Queryable,
  model: string,
  metric: SpcMetric,
  limits: ControlLimits,
  rules: number[],
  recent?: number,
): Promise<Episode[]> {
  const chosen = rules.filter((r) => RULES[r]);
  if (chosen.length === 0) return [];
  const flags = chosen.map((r) =>
    `(${r === 1 ? RULES[r].condition : `(${RULES[r].condition}) AND i >= ${RULES[r].window}`}) AS r${r}`
  );
  const unpivot = chosen.map((r) => `SELECT ${r} AS rule, i FROM flagged WHERE r${r}`).join(" UNION ALL ");
  const rows = await db.rows(
    `WITH ${seriesCte(metric)},
     scored AS (
       SELECT i, (x - $2) / $3 AS z, sign(x - lag(x) OVER (ORDER BY i)) AS d FROM series
     ),
     with_prev AS (SELECT *, lag(d) OVER (ORDER BY i) AS d_prev FROM scored),
     flagged AS (
       SELECT i, ${flags.join(", ")} FROM with_prev
       WINDOW w3 AS (ORDER BY i ROWS 2 PRECEDING), w5 AS (ORDER BY i ROWS 4 PRECEDING),
              w8 AS (ORDER BY i ROWS 7 PRECEDING), w9 AS (ORDER BY i ROWS 8 PRECEDING),
              w12 AS (ORDER BY i ROWS 11 PRECEDING), w15 AS (ORDER BY i ROWS 14 PRECEDING)
     ),
     hits AS (${unpivot}),
     runs AS (SELECT rule, i, i - row_number() OVER (PARTITION BY rule ORDER BY i) AS run FROM hits)
     SELECT rule, min(i) AS first_hit, max(i) AS last_hit, (SELECT count(*) FROM series) AS total
     FROM runs GROUP BY rule, run ORDER BY rule, first_hit`,
    [model, limits.centre, limits.sigma],
  );
  const episodes = rows
    .map((r) => {
      const rule = Number(r.rule);
      return {
        rule: `nelson_${rule}`,
        description: RULES[rule].description,
        firstI: Number(r.first_hit) - RULES[rule].window + 1,
        lastI: Number(r.last_hit),
      };
    });
  return reachingNewest(episodes, Number(rows[0]?.total ?? 0), recent);
}

export interface SpcSummary {
  models: number;
  newAlarms: number;
}

/** Runs limits, Nelson rules and drift for `models` (all models when absent). Caller owns the transaction. */
export async function runSpc(db: Queryable, options: SpcOptions, models?: string[]): Promise<SpcSummary> {
  const list = models ??
    (await db.rows("SELECT DISTINCT model FROM v_tracks WHERE model IS NOT NULL ORDER BY model")).map((r) =>
      String(r.model)
    );
  let newAlarms = 0;
  for (const model of list) {
    for (const metric of SPC_METRICS) {
      const limits = await controlLimits(db, model, metric, options.baseline);
      if (!limits) continue;
      const episodes = await nelsonEpisodes(db, model, metric, limits, options.rules[metric], options.recent);
      newAlarms += await storeEpisodes(db, model, metric, limits.version, episodes);
    }
    newAlarms += await storeEpisodes(
      db,
      model,
      "sigma_gradient",
      null,
      await driftEpisodes(db, model, options.baseline, options.recent),
    );
  }
  return { models: list.length, newAlarms };
}
