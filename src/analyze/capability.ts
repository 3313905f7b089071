/**
 * Process capability per model (or per model and track), in SQL: Cpk from within-subgroup sigma (mean
 * moving range / 1.128, individuals in time order) and Ppk from the overall sample sigma, with a 95%
 * confidence interval for Cpk (Bissell). Both metrics are bounded below by 0 (sigma gradient, and linearity
 * error as max |error|), so both are one-sided against their upper limit: Cpk is Cpu, Ppk is Ppu, and Cp/Pp
 * do not exist. Beside each index: PPM beyond the limit, the Anderson–Darling normality test (when asked),
 * and no rating when the sample was out of statistical control (capability_checks.ts). Below `minN` samples
 * nothing is reported, and the row says why.
 */
import type { Queryable } from "../db/database.ts";
import { andersonDarling, outliersDominate, outOfControl, ppm } from "./capability_checks.ts";

export interface CapabilityOptions {
  model?: string;
  /** Only tracks from files of this station. */
  station?: string;
  /** Tracks tested on or after this date. */
  since?: string;
  /** Tracks tested on or before this date (the whole day). */
  until?: string;
  byTrack?: boolean;
  minN: number;
  /** Only this metric (both when absent): the dashboard ranks on sigma gradient alone. */
  metric?: "sigma_gradient" | "linearity_error";
  /** Test each sample for normality (reads every value: for one model's page, not the dashboard). */
  normality?: boolean;
  /**
   * A Cpk trend: rows per run of consecutive points as well, at most this many runs of at least `minN`
   * points each (a calendar month of a low-volume model is too few to rate); `period` is a run's first day.
   */
  windows?: number;
}

export interface CapabilityRow {
  model: string;
  track_id: string | null;
  /** With `windows`: when the run of points starts (`YYYY-MM-DD HH:MM`, its first test). */
  period: string | null;
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
  /** `upper` when only an upper limit applies (Cpk is then Cpu, Ppk Ppu). */
  sides: "upper" | "both";
  /** Parts per million above the upper limit: observed, and expected for a normal with σ overall. */
  ppm_above_observed: number | null;
  ppm_above_expected: number | null;
  ppm_below_observed: number | null;
  ppm_below_expected: number | null;
  /** Points beyond the I-chart's ±3σ (within) limits, and whether that is more than chance. */
  beyond_control_limits: number;
  in_control: boolean;
  /** IQR / 1.349: σ of the middle half, which single outliers do not move. */
  robust_sigma: number | null;
  /** Anderson–Darling A² and its p-value; `null` when not asked for or not computable. */
  anderson_darling: number | null;
  normality_p: number | null;
  rating: string;
  /** Warnings an engineer should read before trusting the index. */
  notes: string[];
  near_misses: number;
}

/** Upstream's capability ratings. */
export function rating(cpk: number | null): string {
  if (cpk === null) return "not rated";
  return cpk >= 1.67 ? "excellent" : cpk >= 1.33 ? "capable" : cpk >= 1.0 ? "marginal" : "incapable";
}

/** Each metric's rows: the value and its upper limit (both metrics are bounded below by 0). */
const METRIC_ROWS = {
  sigma_gradient:
    `SELECT model, track_id, period, test_date, file_id, t, 'sigma_gradient' AS metric, sigma_gradient AS x,
                          NULL::DOUBLE AS lsl, sigma_threshold AS usl, near_miss FROM base`,
  linearity_error:
    `SELECT model, track_id, period, test_date, file_id, t, 'linearity_error' AS metric, linearity_error AS x,
                           NULL::DOUBLE AS lsl, linearity_spec AS usl, near_miss FROM base`,
};

/** Capability rows for both metrics (or the one of `options.metric`), by model (and track), then metric. */
export async function capability(db: Queryable, options: CapabilityOptions): Promise<CapabilityRow[]> {
  // One statement a metric: with both in one UNION, DuckDB built its join on the million-row side (242 ms
  // against 2 × 60 for 30 days of a million tracks).
  const rows = [];
  for (const metric of options.metric ? [options.metric] : (["sigma_gradient", "linearity_error"] as const)) {
    rows.push(...await metricStats(db, options, metric));
  }
  const key = (r: Record<string, unknown>) =>
    `${r.model}\u0000${r.track_id ?? ""}\u0000${r.metric}\u0000${r.period ?? ""}`;
  rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return rows.map((r) => capabilityRow(r, options.minN));
}

/** The statistics of one metric per model (and track). */
function metricStats(db: Queryable, options: CapabilityOptions, metric: keyof typeof METRIC_ROWS) {
  const series = options.byTrack ? "model, track_id" : "model";
  // Runs of equal length in time order, as many as `windows` allows with at least `minN` points in each.
  const period = options.windows
    ? `(row_number() OVER (PARTITION BY ${series} ORDER BY test_date, file_id, track_id) - 1) //
       greatest(${options.minN}, ceil(count(*) OVER (PARTITION BY ${series}) / ${options.windows}))::BIGINT`
    : "NULL::BIGINT";
  const group = `${series}${options.windows ? ", period" : ""}`;
  return db.rows(
    `WITH base AS (
       SELECT model, ${
      options.byTrack ? "track_id" : "NULL::VARCHAR AS track_id"
    }, ${period} AS period, test_date, file_id, track_id AS t,
              sigma_gradient, sigma_threshold, linearity_error, linearity_spec, near_miss
       FROM v_tracks
       WHERE overall_status <> 'ERROR' AND model IS NOT NULL
         AND ($1::VARCHAR IS NULL OR model = $1) AND ($2::VARCHAR IS NULL OR test_date >= $2::TIMESTAMP)
         AND ($3::VARCHAR IS NULL OR test_date < $3::DATE + 1) AND ($4::VARCHAR IS NULL OR station = $4)
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
     centred AS (
       SELECT *, avg(x / s) OVER g AS mean_s, avg(mr) OVER g / 1.128 AS sw_s
       FROM ordered WINDOW g AS (PARTITION BY ${group}, metric)
     )
     -- Sums and squares run on x / max|x|: on raw values one absurd but finite point (1e308) overflowed
     -- STDDEV_SAMP and failed every model's capability.
     SELECT ${options.byTrack ? "model, track_id" : "model, NULL::VARCHAR AS track_id"}, ${
      options.windows ? "strftime(min(test_date), '%Y-%m-%d %H:%M')" : "NULL::VARCHAR"
    } AS period, metric, count(*) AS n,
            any_value(mean_s) * any_value(s) AS mean, any_value(sw_s) * any_value(s) AS sigma_within,
            stddev_samp(x / s) * any_value(s) AS sigma_overall,
            (quantile_cont(x / s, 0.75) - quantile_cont(x / s, 0.25)) / 1.349 * any_value(s) AS robust_sigma,
            count(*) FILTER (WHERE abs(x / s - mean_s) > 3 * sw_s) AS beyond_control_limits,
            count(*) FILTER (WHERE x > usl) AS above, count(*) FILTER (WHERE x < lsl) AS below,
            avg(lsl) AS lsl, avg(usl) AS usl, count(*) FILTER (WHERE near_miss) AS near_misses,
            ${options.normality ? "list(x)" : "NULL"} AS xs
     FROM centred GROUP BY ${group}, metric`,
    [options.model ?? null, options.since ?? null, options.until ?? null, options.station ?? null],
  );
}

/** One stats row as reported: indices only from `minN` samples, Cpk with its 95% interval (Bissell). */
function capabilityRow(r: Record<string, unknown>, minN: number): CapabilityRow {
  const n = Number(r.n);
  const enough = n >= minN;
  const value = (v: unknown) => (enough && v !== null && v !== undefined ? Number(v) : null);
  const [mean, sw, so, lsl, usl] = [r.mean, r.sigma_within, r.sigma_overall, r.lsl, r.usl].map(value);
  const index = (sigma: number | null) =>
    mean === null || usl === null || !(sigma! > 0)
      ? null
      : Math.min(usl - mean, lsl === null ? Infinity : mean - lsl) / (3 * sigma!);
  const cpk = index(sw);
  const half = cpk === null ? null : 1.96 * Math.sqrt(1 / (9 * n) + cpk ** 2 / (2 * (n - 1)));
  const above = usl === null || mean === null ? null : ppm(Number(r.above), n, mean, so!, usl, "above");
  const below = lsl === null || mean === null ? null : ppm(Number(r.below), n, mean, so!, lsl, "below");
  const beyond = Number(r.beyond_control_limits ?? 0);
  const inControl = !outOfControl(beyond, n);
  const ad = enough && Array.isArray(r.xs) ? andersonDarling(r.xs.map(Number)) : null;
  const row: CapabilityRow = {
    model: String(r.model),
    track_id: r.track_id === null ? null : String(r.track_id),
    period: r.period === null || r.period === undefined ? null : String(r.period),
    metric: String(r.metric),
    n,
    mean,
    sigma_within: sw,
    sigma_overall: so,
    lsl,
    usl,
    cp: lsl === null || usl === null || !(sw! > 0) ? null : (usl - lsl) / (6 * sw!),
    cpk,
    cpk_ci_low: half === null ? null : cpk! - half,
    cpk_ci_high: half === null ? null : cpk! + half,
    pp: lsl === null || usl === null || !(so! > 0) ? null : (usl - lsl) / (6 * so!),
    ppk: index(so),
    sides: lsl === null ? "upper" : "both",
    ppm_above_observed: above?.observed ?? null,
    ppm_above_expected: above?.expected ?? null,
    ppm_below_observed: below?.observed ?? null,
    ppm_below_expected: below?.expected ?? null,
    beyond_control_limits: beyond,
    in_control: inControl,
    robust_sigma: value(r.robust_sigma),
    anderson_darling: ad?.a2 ?? null,
    normality_p: ad?.p ?? null,
    rating: !enough
      ? `not reported: ${n} samples, at least ${minN} needed`
      : inControl
      ? rating(cpk)
      : `not rated: out of control, ${beyond} of ${n} points beyond the I-chart's 3σ limits`,
    notes: [],
    near_misses: Number(r.near_misses),
  };
  if (enough) row.notes = capabilityNotes(row);
  return row;
}

/** The warnings beside a reported row. */
function capabilityNotes(c: CapabilityRow): string[] {
  const notes: string[] = [];
  if (!c.in_control) {
    notes.push(
      `${c.beyond_control_limits} points beyond the control limits is more than chance (p < 0.05): the process ` +
        "was not stable, so no index predicts it; find the special causes first",
    );
  }
  if (outliersDominate(c.sigma_overall, c.robust_sigma)) {
    notes.push(
      `σ overall ${c.sigma_overall!.toPrecision(3)} is ${
        (c.sigma_overall! / c.robust_sigma!).toFixed(1)
      }× the ` +
        `spread of the middle half (IQR/1.349 = ${
          c.robust_sigma!.toPrecision(3)
        }): a few outliers dominate Ppk`,
    );
  }
  if (c.normality_p !== null && c.normality_p < 0.05) {
    notes.push(
      `not normal (Anderson–Darling p = ${
        c.normality_p.toPrecision(2)
      }): expected PPM assume a normal distribution`,
    );
  }
  return notes;
}
