/**
 * A model's trend charts over a range of test days (optionally one track): sigma gradient with its
 * threshold and mean ± 3σ, pass rate per day, why tracks did not pass, and the linearity error
 * histogram against the spec. Shared by the nightly report and the model page.
 */
import type { Queryable as Database } from "../db/database.ts";
import { FAILURE_REASON } from "../db/dashboard_reads.ts";
import { LINEARITY_HISTOGRAM, PARETO, PASS_RATE, SIGMA_TREND } from "./specs.ts";
import { renderSvg } from "./svg.ts";
import type { TopLevelSpec } from "vega-lite";
import { sigmaTrendSpec } from "./interactive.ts";

export interface TrendWindow {
  model: string;
  /** First test day, `null` for all history. */
  from: string | null;
  /** Last test day included. */
  to: string;
  track?: string | null;
  /** Only files from this station. */
  station?: string | null;
  /** How the charts name the window, e.g. "last 30 days to 2026-12-06". */
  label: string;
}

/**
 * The rows behind the trend charts, from one read of the window's tracks: five reads (one per chart) each
 * joined the whole ledger again, which made a model's page over all history slow.
 */
export async function trendRows(db: Database, w: TrendWindow) {
  const tracks = await db.rows(
    `SELECT strftime(test_date, '%Y-%m-%dT%H:%M:%S') AS date, sigma_gradient, sigma_threshold, overall_status AS status,
            serial, track_id AS track, linearity_error, linearity_spec,
            CASE WHEN overall_status <> 'PASS' THEN ${FAILURE_REASON} END AS reason,
            '/units/' || url_encode(model) || '/' || url_encode(coalesce(serial, '')) AS href
     FROM v_tracks WHERE model = $1 AND test_date < $3::DATE + 1 AND ($2::DATE IS NULL OR test_date >= $2::DATE)
       AND ($4::VARCHAR IS NULL OR track_id = $4) AND ($5::VARCHAR IS NULL OR station = $5)
     ORDER BY test_date`,
    [w.model, w.from, w.to, w.track ?? null, w.station ?? null],
  );
  const sigma = tracks.filter((t) => t.sigma_gradient !== null).map((t) => ({
    date: t.date,
    value: t.sigma_gradient,
    status: t.status,
    series: "sigma",
    serial: t.serial,
    track: t.track,
    href: t.href,
  }));
  const linearity: Record<string, unknown>[] = tracks.filter((t) => t.linearity_error !== null)
    .map((t) => ({ series: "error", value: t.linearity_error }));
  const specs = tracks.flatMap((t) => t.linearity_spec === null ? [] : [t.linearity_spec as number]);
  if (specs.length) linearity.push({ series: "spec", value: median(specs) });
  return {
    sigma,
    rules: sigmaRules(tracks),
    passRate: passRatePerDay(tracks),
    reasons: reasonCounts(tracks),
    linearity,
  };
}

/** The threshold (median over the window) and mean ± 3σ (sample σ, the lower line not below 0). */
function sigmaRules(tracks: Record<string, unknown>[]) {
  const xs = tracks.flatMap((t) => t.sigma_gradient === null ? [] : [t.sigma_gradient as number]);
  if (xs.length < 2) return [];
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  const thresholds = tracks.flatMap((t) =>
    t.sigma_gradient === null || t.sigma_threshold === null ? [] : [t.sigma_threshold as number]
  );
  return [
    { series: "threshold", value: thresholds.length ? median(thresholds) : null },
    { series: "mean + 3σ", value: mean + 3 * sd },
    { series: "mean − 3σ", value: Math.max(mean - 3 * sd, 0) },
  ];
}

function passRatePerDay(tracks: Record<string, unknown>[]) {
  const days = new Map<string, { pass: number; n: number }>();
  for (const t of tracks) {
    const day = String(t.date).slice(0, 10);
    const d = days.get(day) ?? days.set(day, { pass: 0, n: 0 }).get(day)!;
    d.n++;
    if (t.status === "PASS") d.pass++;
  }
  return [...days].map(([day, d]) => ({ day, pass_rate: d.pass / d.n }));
}

/** Why tracks did not pass, most frequent first. */
function reasonCounts(tracks: Record<string, unknown>[]) {
  const counts = new Map<string, number>();
  for (const t of tracks) {
    if (t.reason !== null) counts.set(String(t.reason), (counts.get(String(t.reason)) ?? 0) + 1);
  }
  return [...counts].map(([reason, n]) => ({ reason, tracks: n })).sort((a, b) => b.tracks - a.tracks);
}

/** The median as DuckDB's `median` gives it: the mean of the middle two of an even count. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The trend charts of `w` as SVG strings, and the sigma trend's spec for the browser to draw live
 * (tooltips, zoom, click to the unit).
 */
export async function modelTrends(
  db: Database,
  w: TrendWindow,
): Promise<{ svgs: string[]; live: TopLevelSpec }> {
  const { sigma, rules, passRate, reasons, linearity } = await trendRows(db, w);
  const span = `${w.model}${w.track ? ` ${w.track}` : ""} · ${w.label}`;
  const sigmaSubtitle = `${span} · threshold and mean ± 3σ`;
  const svgs = [
    await renderSvg(SIGMA_TREND, [...sigma, ...rules], {
      chartTitle: "Sigma gradient",
      chartSubtitle: sigmaSubtitle,
    }),
    await renderSvg(PASS_RATE, passRate, { chartTitle: "Pass rate per day", chartSubtitle: span }),
  ];
  if (reasons.length) {
    svgs.push(
      await renderSvg(PARETO, reasons, { chartTitle: "Why tracks did not pass", chartSubtitle: span }),
    );
  }
  svgs.push(
    await renderSvg(LINEARITY_HISTOGRAM, linearity, {
      chartTitle: "Linearity error after offset",
      chartSubtitle: `${span} · dashed: median spec`,
    }),
  );
  return { svgs, live: sigmaTrendSpec([...sigma, ...rules], "Sigma gradient", sigmaSubtitle) };
}

/** The trend charts of `w` as SVG strings. */
export async function modelTrendSvgs(db: Database, w: TrendWindow): Promise<string[]> {
  return (await modelTrends(db, w)).svgs;
}
