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
  /** How the charts name the window, e.g. "last 30 days to 2026-12-06". */
  label: string;
}

/** The rows behind the trend charts. */
async function trendRows(db: Database, w: TrendWindow) {
  const where = `model = $1 AND test_date < $3::DATE + 1 AND ($2::DATE IS NULL OR test_date >= $2::DATE)
    AND ($4::VARCHAR IS NULL OR track_id = $4)`;
  const rows = (sql: string) => db.rows(sql, [w.model, w.from, w.to, w.track ?? null]);
  return {
    sigma: await rows(
      `SELECT strftime(test_date, '%Y-%m-%dT%H:%M:%S') AS date, sigma_gradient AS value, overall_status AS status,
              'sigma' AS series, serial, track_id AS track,
              '/units/' || url_encode(model) || '/' || url_encode(coalesce(serial, '')) AS href
       FROM v_tracks WHERE ${where} AND sigma_gradient IS NOT NULL ORDER BY test_date`,
    ),
    rules: await rows(
      `SELECT unnest(['threshold', 'mean + 3σ', 'mean − 3σ']) AS series,
              unnest([median(sigma_threshold), avg(sigma_gradient) + 3 * stddev_samp(sigma_gradient),
                      greatest(avg(sigma_gradient) - 3 * stddev_samp(sigma_gradient), 0)]) AS value
       FROM v_tracks WHERE ${where} AND sigma_gradient IS NOT NULL HAVING count(*) >= 2`,
    ),
    passRate: await rows(
      `SELECT strftime(test_date::DATE, '%Y-%m-%d') AS day, avg((overall_status = 'PASS')::INTEGER) AS pass_rate
       FROM v_tracks WHERE ${where} GROUP BY 1 ORDER BY 1`,
    ),
    reasons: await rows(
      `SELECT ${FAILURE_REASON} AS reason, count(*) AS tracks
       FROM v_tracks WHERE ${where} AND overall_status <> 'PASS' GROUP BY 1 ORDER BY 2 DESC`,
    ),
    linearity: await rows(
      `SELECT 'error' AS series, linearity_error AS value FROM v_tracks WHERE ${where} AND linearity_error IS NOT NULL
       UNION ALL
       SELECT 'spec', median(linearity_spec) FROM v_tracks WHERE ${where} HAVING count(linearity_spec) > 0`,
    ),
  };
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
