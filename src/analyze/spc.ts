/**
 * Statistical process control over the history, per model: I-MR control limits (versioned in
 * `control_limits`), Nelson rules 1–8 evaluated in SQL with window functions, CUSUM and EWMA drift on sigma
 * gradient (recursive, so TypeScript over the ordered series), and alarms stored as episodes in `spc_alarms`.
 */
import type { Queryable } from "../db/database.ts";

export type SpcMetric = "sigma_gradient" | "linearity_error";
export const SPC_METRICS: SpcMetric[] = ["sigma_gradient", "linearity_error"];

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

/** The ordered series of `metric` for `model` (analysable tracks), as a CTE named `series`. */
export function seriesCte(metric: SpcMetric): string {
  if (!SPC_METRICS.includes(metric)) throw new Error(`unknown SPC metric ${metric}`);
  return `series AS (
    SELECT row_number() OVER (ORDER BY test_date, file_id, track_id) AS i, file_id, test_date, ${metric} AS x
    FROM v_tracks WHERE model = $1 AND overall_status <> 'ERROR' AND ${metric} IS NOT NULL AND isfinite(${metric}))`;
}

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

interface Episode {
  rule: string;
  description: string;
  firstI: number;
  lastI: number;
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

/** With `recent`, only the episodes that reach the newest `recent` of `total` points (the others cannot have changed). */
function reachingNewest(episodes: Episode[], total: number, recent?: number): Episode[] {
  return recent ? episodes.filter((e) => e.lastI > total - recent) : episodes;
}

/** The CUSUM and EWMA statistics of a model's sigma gradient, point by point after the baseline. */
export interface DriftSeries {
  mu: number;
  sd: number;
  /** Decision interval h = 5σ for both CUSUM sums. */
  h: number;
  ewmaUcl: number;
  ewmaLcl: number;
  points: Array<{ i: number; cusumHi: number; cusumLo: number; ewma: number }>;
}

/** CUSUM (k = 0.5σ, h = 5σ) and EWMA (λ = 0.2, ±3σ√(λ/(2−λ))) after a baseline of `baseline` points. */
export async function driftSeries(
  db: Queryable,
  model: string,
  baseline: number,
): Promise<DriftSeries | null> {
  const xs = (await db.rows(`WITH ${seriesCte("sigma_gradient")} SELECT x FROM series ORDER BY i`, [model]))
    .map((r) => r.x as number);
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
    points.push({ i: n + 1, cusumHi: hi, cusumLo: lo, ewma });
  }
  return { mu, sd, h: 5 * sd, ewmaUcl: mu + ewmaLimit, ewmaLcl: mu - ewmaLimit, points };
}

/** Drift alarms (episodes) from the drift statistics. */
export async function driftEpisodes(
  db: Queryable,
  model: string,
  baseline: number,
  recent?: number,
): Promise<Episode[]> {
  const series = await driftSeries(db, model, baseline);
  if (!series) return [];
  const tracker = new AlarmTracker();
  for (const p of series.points) {
    tracker.step("cusum_upper", "CUSUM: sigma gradient drifting up", p.cusumHi > series.h, p.i);
    tracker.step("cusum_lower", "CUSUM: sigma gradient drifting down", p.cusumLo > series.h, p.i);
    tracker.step("ewma_upper", "EWMA above its upper limit", p.ewma > series.ewmaUcl, p.i);
    tracker.step("ewma_lower", "EWMA below its lower limit", p.ewma < series.ewmaLcl, p.i);
  }
  return reachingNewest(tracker.done(), series.points.at(-1)?.i ?? 0, recent);
}

/** Turns per-point out-of-control flags into episodes that close after 5 in-control points in a row. */
class AlarmTracker {
  #open = new Map<string, Episode & { calm: number }>();
  #closed: Episode[] = [];

  step(rule: string, description: string, out: boolean, i: number): void {
    const open = this.#open.get(rule);
    if (out) {
      if (open) {
        open.lastI = i;
        open.calm = 0;
      } else {
        this.#open.set(rule, { rule, description, firstI: i, lastI: i, calm: 0 });
      }
    } else if (open && ++open.calm >= 5) {
      this.#closed.push({ rule, description, firstI: open.firstI, lastI: open.lastI });
      this.#open.delete(rule);
    }
  }

  done(): Episode[] {
    const all = [...this.#closed, ...[...this.#open.values()].map(({ calm: _, ...e }) => e)];
    return all.sort((a, b) => a.firstI - b.firstI || a.rule.localeCompare(b.rule));
  }
}

/** Writes episodes as alarms: a new episode is a new alarm; one that grew updates its alarm. */
async function storeEpisodes(
  db: Queryable,
  model: string,
  metric: SpcMetric,
  limitsVersion: number | null,
  episodes: Episode[],
): Promise<number> {
  if (episodes.length === 0) return 0;
  let created = 0;
  // One read of the series and of the alarms already stored, however many episodes there are.
  const lo = Math.min(...episodes.map((e) => e.firstI));
  const hi = Math.max(...episodes.map((e) => e.lastI));
  const series = await db.rows(
    `WITH ${
      seriesCte(metric)
    } SELECT i, file_id, test_date::VARCHAR AS t FROM series WHERE i BETWEEN $2 AND $3 ORDER BY i`,
    [model, lo, hi],
  );
  const alarms = new Map(
    (await db.rows(
      "SELECT alarm_id, rule, first_file_id, last_file_id, points FROM spc_alarms WHERE model = $1 AND metric = $2",
      [model, metric],
    )).map((a) => [`${a.rule}/${a.first_file_id}`, a]),
  );
  for (const e of episodes) {
    const points = series.slice(Math.max(0, e.firstI - lo), e.lastI - lo + 1);
    if (points.length === 0) continue;
    const first = points[0];
    const last = points.at(-1)!;
    // A list as one text parameter: a DuckDB list value makes a native value object per element, which
    // under Deno is never freed (docs/memory.md).
    const fileIds = `[${points.map((p) => Number(p.file_id)).join(",")}]`;
    const existing = alarms.get(`${e.rule}/${Number(first.file_id)}`);
    if (existing) {
      // An episode that has not grown since the last run is left as stored.
      if (
        Number(existing.last_file_id) === Number(last.file_id) && Number(existing.points) === points.length
      ) continue;
      await db.exec(
        `UPDATE spc_alarms SET last_at = $2::TIMESTAMP, last_file_id = $3, file_ids = $4::VARCHAR::BIGINT[], points = $5
         WHERE alarm_id = $1`,
        [Number(existing.alarm_id), String(last.t), Number(last.file_id), fileIds, points.length],
      );
    } else {
      await db.exec(
        `INSERT INTO spc_alarms (model, metric, rule, description, limits_version, first_at, last_at, first_file_id,
                                 last_file_id, file_ids, points, created_at)
         VALUES ($1, $2, $3, $4, $5, $6::TIMESTAMP, $7::TIMESTAMP, $8, $9, $10::VARCHAR::BIGINT[], $11, now()::TIMESTAMP)`,
        [
          model,
          metric,
          e.rule,
          e.description,
          limitsVersion,
          String(first.t),
          String(last.t),
          Number(first.file_id),
          Number(last.file_id),
          fileIds,
          points.length,
        ],
      );
      created++;
    }
  }
  return created;
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
