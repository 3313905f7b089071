/**
 * Process capability per model (or per model and track), in SQL: Cp/Cpk from within-subgroup sigma (mean
 * moving range / 1.128, individuals in time order) and Pp/Ppk from the overall sample sigma, with a 95%
 * confidence interval for Cpk (Bissell). Sigma gradient is one-sided against its threshold; linearity error
 * two-sided against ± the linearity spec. Below `minN` samples nothing is reported, and the row says why.
 */
import type { Queryable } from "../db/database.ts";

export interface CapabilityOptions {
  model?: string;
  /** Tracks tested on or after this date. */
  since?: string;
  /** Tracks tested on or before this date (the whole day). */
  until?: string;
  byTrack?: boolean;
  minN: number;
  /** Only this metric (both when absent): the dashboard ranks on sigma gradient alone. */
  metric?: "sigma_gradient" | "linearity_error";
}

export interface CapabilityRow {
  model: string;
  track_id: string | null;
  metric: string;
  n: number;
  mean: number | null;
  sigma_within: number | null;
  sigma_overall: number | null;
  lsl: number | null;
  usl: number | null;
  cp: number | null;
  cpk: number | null;
  cpk_ci_low: number | null;
  cpk_ci_high: number | null;
  pp: number | null;
  ppk: number | null;
  rating: string;
  near_misses: number;
}

/** Upstream's capability ratings. */
export function rating(cpk: number | null): string {
  if (cpk === null) return "not rated";
  return cpk >= 1.67 ? "excellent" : cpk >= 1.33 ? "capable" : cpk >= 1.0 ? "marginal" : "incapable";
}

/** Each metric's rows: the value and its limits (sigma gradient one-sided, linearity error two-sided). */
const METRIC_ROWS = {
  sigma_gradient:
    `SELECT model, track_id, test_date, file_id, t, 'sigma_gradient' AS metric, sigma_gradient AS x,
                          NULL::DOUBLE AS lsl, sigma_threshold AS usl, near_miss FROM base`,
  linearity_error:
    `SELECT model, track_id, test_date, file_id, t, 'linearity_error' AS metric, linearity_error AS x,
                           -linearity_spec AS lsl, linearity_spec AS usl, near_miss FROM base`,
};

/** Capability rows for both metrics (or the one of `options.metric`), by model (and track), then metric. */
export async function capability(db: Queryable, options: CapabilityOptions): Promise<CapabilityRow[]> {
  // One statement a metric: with both in one UNION, DuckDB built its join on the million-row side (242 ms
  // against 2 × 60 for 30 days of a million tracks).
  const rows = [];
  for (const metric of options.metric ? [options.metric] : (["sigma_gradient", "linearity_error"] as const)) {
    rows.push(...await metricStats(db, options, metric));
  }
  const key = (r: Record<string, unknown>) => `${r.model}\u0000${r.track_id ?? ""}\u0000${r.metric}`;
  rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return rows.map((r) => capabilityRow(r, options.minN));
}

/** The statistics of one metric per model (and track). */
function metricStats(db: Queryable, options: CapabilityOptions, metric: keyof typeof METRIC_ROWS) {
  const group = options.byTrack ? "model, track_id" : "model";
  return db.rows(
    `WITH base AS (
       SELECT model, ${
      options.byTrack ? "track_id" : "NULL::VARCHAR AS track_id"
    }, test_date, file_id, track_id AS t,
              sigma_gradient, sigma_threshold, linearity_error, linearity_spec, near_miss
       FROM v_tracks
       WHERE overall_status <> 'ERROR' AND model IS NOT NULL
         AND ($1::VARCHAR IS NULL OR model = $1) AND ($2::VARCHAR IS NULL OR test_date >= $2::TIMESTAMP)
         AND ($3::VARCHAR IS NULL OR test_date < $3::DATE + 1)
     ),
     metrics AS (${METRIC_ROWS[metric]}),
     scaled AS (
       SELECT *, coalesce(nullif(max(abs(x)) OVER (PARTITION BY ${group}, metric), 0), 1) AS s
       FROM metrics WHERE x IS NOT NULL AND isfinite(x)
     ),
     ordered AS (
       SELECT *, abs(x / s - lag(x / s) OVER (PARTITION BY ${group}, metric ORDER BY test_date, file_id, t)) AS mr
       FROM scaled
     ),
     -- Sums and squares run on x / max|x|: on raw values one absurd but finite point (1e308) overflowed
     -- STDDEV_SAMP and failed every model's capability.
     stats AS (
       SELECT ${group}, metric, count(*) AS n, avg(x / s) * any_value(s) AS mean,
              avg(mr) / 1.128 * any_value(s) AS sw, stddev_samp(x / s) * any_value(s) AS so,
              avg(lsl) AS lsl, avg(usl) AS usl, count(*) FILTER (WHERE near_miss) AS near_misses
       FROM ordered GROUP BY ${group}, metric
     )
     SELECT ${options.byTrack ? "model, track_id" : "model, NULL::VARCHAR AS track_id"}, metric, n, mean,
            sw AS sigma_within, so AS sigma_overall, lsl, usl, near_misses,
            CASE WHEN lsl IS NOT NULL AND sw > 0 THEN (usl - lsl) / (6 * sw) END AS cp,
            CASE WHEN sw > 0 THEN least(usl - mean, coalesce(mean - lsl, 'infinity'::DOUBLE)) / (3 * sw) END AS cpk,
            CASE WHEN lsl IS NOT NULL AND so > 0 THEN (usl - lsl) / (6 * so) END AS pp,
            CASE WHEN so > 0 THEN least(usl - mean, coalesce(mean - lsl, 'infinity'::DOUBLE)) / (3 * so) END AS ppk
     FROM stats`,
    [options.model ?? null, options.since ?? null, options.until ?? null],
  );
}

/** One stats row as reported: indices only from `minN` samples, Cpk with its 95% interval (Bissell). */
function capabilityRow(r: Record<string, unknown>, minN: number): CapabilityRow {
  const n = Number(r.n);
  const enough = n >= minN;
  const cpk = enough && r.cpk !== null ? Number(r.cpk) : null;
  const half = cpk === null ? null : 1.96 * Math.sqrt(1 / (9 * n) + cpk ** 2 / (2 * (n - 1)));
  const value = (v: unknown) => (enough && v !== null && v !== undefined ? Number(v) : null);
  return {
    model: String(r.model),
    track_id: r.track_id === null ? null : String(r.track_id),
    metric: String(r.metric),
    n,
    mean: value(r.mean),
    sigma_within: value(r.sigma_within),
    sigma_overall: value(r.sigma_overall),
    lsl: value(r.lsl),
    usl: value(r.usl),
    cp: value(r.cp),
    cpk,
    cpk_ci_low: half === null ? null : cpk! - half,
    cpk_ci_high: half === null ? null : cpk! + half,
    pp: value(r.pp),
    ppk: value(r.ppk),
    rating: enough ? rating(cpk) : `not reported: ${n} samples, at least ${minN} needed`,
    near_misses: Number(r.near_misses),
  };
}
