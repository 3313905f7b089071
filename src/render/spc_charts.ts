/** SPC charts for a series (a model's track): I-MR with limits and alarm points, and CUSUM/EWMA against their limits. */
import { driftSeries } from "../analyze/spc_drift.ts";
import {
  limitsKey,
  type Series,
  seriesCte,
  seriesName,
  seriesParams,
  type SpcMetric,
} from "../analyze/spc_series.ts";
import type { Queryable } from "../db/database.ts";
import { DRIFT_CHART, IMR_CHART } from "./specs.ts";
import { renderSvg } from "./svg.ts";
import type { TopLevelSpec } from "vega-lite";
import { imrSpec } from "./interactive.ts";

/**
 * A control chart draws at most this many points, the newest: more do not fit 640 pixels, and a year of a
 * busy model made its page megabytes. The statistics still come from every point.
 */
const MAX_POINTS = 1000;

/** Which points a chart draws: those tested in `from`…`to` (days, both included; `null`: no bound). */
export interface ChartSpan {
  from?: string | null;
  to?: string | null;
}

/**
 * The I-MR chart of `metric` for `model` against its newest control limits; `null` without limits or
 * points in `span`. Points inside alarms are red: every alarm's, or only those of `alarmId`.
 */
export async function imrChartSvg(
  db: Queryable,
  series: Series,
  metric: SpcMetric,
  alarmId: number | null = null,
  span: ChartSpan = {},
): Promise<string | null> {
  return (await imrChart(db, series, metric, alarmId, span))?.svg ?? null;
}

/** The I-MR chart as SVG, and as a spec the browser draws live (each point's unit and date, a click to it). */
export async function imrChart(
  db: Queryable,
  series: Series,
  metric: SpcMetric,
  alarmId: number | null = null,
  span: ChartSpan = {},
): Promise<{ svg: string; live: TopLevelSpec } | null> {
  const [limits] = await db.rows(
    `SELECT version, centre, lcl, ucl, mr_bar FROM control_limits WHERE model = $1 AND track_id = $3 AND station = $4 AND metric = $2
     ORDER BY version DESC LIMIT 1`,
    [series.model, metric, ...limitsKey(series)],
  );
  if (!limits) return null;
  const found = await db.rows(
    `WITH ${seriesCte(metric, 6)},
     flagged AS (SELECT DISTINCT unnest(file_ids) AS file_id FROM spc_alarms
                 WHERE model = $1 AND metric = $2 AND track_id IS NOT DISTINCT FROM $6
                   AND station IS NOT DISTINCT FROM $7
                   AND ($3::BIGINT IS NULL OR alarm_id = $3))
     SELECT * FROM (
       SELECT i, x AS value, abs(x - lag(x) OVER (ORDER BY i)) AS mr, file_id IN (SELECT file_id FROM flagged) AS flagged,
              test_date, strftime(test_date, '%Y-%m-%d %H:%M') AS date, serial AS unit, track_id AS track,
              '/units/' || url_encode($1) || '/' || url_encode(coalesce(serial, '')) AS href
       FROM series)
     WHERE ($4::DATE IS NULL OR test_date >= $4::DATE) AND ($5::DATE IS NULL OR test_date < $5::DATE + 1)
     ORDER BY i`,
    [series.model, metric, alarmId, span.from ?? null, span.to ?? null, ...seriesParams(series)],
  );
  if (found.length === 0) return null;
  const points = found.slice(-MAX_POINTS);
  const rows: Record<string, unknown>[] = [];
  for (const p of points) {
    const { date, unit, track, href } = p;
    rows.push({
      i: p.i,
      value: p.value,
      chart: "I",
      series: "point",
      flagged: p.flagged,
      date,
      unit,
      track,
      href,
    });
    if (p.mr !== null) rows.push({ i: p.i, value: p.mr, chart: "MR", series: "mr" });
  }
  for (const series of ["centre", "ucl", "lcl"]) rows.push({ chart: "I", series, value: limits[series] });
  // D4 = 3.267 for moving ranges of two.
  rows.push({ chart: "MR", series: "MR centre", value: limits.mr_bar });
  rows.push({ chart: "MR", series: "MR UCL", value: 3.267 * Number(limits.mr_bar) });
  const titles = {
    chartTitle: `I-MR: ${metric.replace("_", " ")}`,
    chartSubtitle: `${seriesName(series)} · ${
      spanText(points, found.length)
    } · limits version ${limits.version} · red: points ${
      alarmId === null ? "in an alarm" : `of alarm ${alarmId}`
    }`,
  };
  return {
    svg: await renderSvg(IMR_CHART, rows, titles),
    live: imrSpec(rows, titles.chartTitle, titles.chartSubtitle),
  };
}

/**
 * CUSUM and EWMA of the model's sigma gradient (computed over its whole history, drawn over `span`);
 * `null` before the baseline is complete or without points in `span`.
 */
export async function driftChartSvg(
  db: Queryable,
  series: Series,
  baseline: number,
  span: ChartSpan = {},
): Promise<string | null> {
  const d = await driftSeries(db, series, baseline);
  const inRange = d?.points.filter((p) => inSpan(p.t, span)) ?? [];
  if (!d || inRange.length === 0) return null;
  const shown = inRange.slice(-MAX_POINTS);
  const rows: Record<string, unknown>[] = [];
  for (const p of shown) {
    rows.push(
      { i: p.i, value: p.cusumHi, series: "CUSUM up", panel: "CUSUM" },
      { i: p.i, value: p.cusumLo, series: "CUSUM down", panel: "CUSUM" },
      { i: p.i, value: p.ewma, series: "EWMA", panel: "EWMA" },
    );
  }
  // The limits are constant: their two ends draw them.
  for (const i of [shown[0].i, shown.at(-1)!.i]) {
    rows.push(
      { i, value: d.h, series: "h", panel: "CUSUM" },
      { i, value: d.ewmaUcl, series: "upper limit", panel: "EWMA" },
      { i, value: d.ewmaLcl, series: "lower limit", panel: "EWMA" },
    );
  }
  return await renderSvg(DRIFT_CHART, rows, {
    chartTitle: "Drift of sigma gradient",
    chartSubtitle: `${seriesName(series)} · ${
      spanText(shown.map((p) => ({ test_date: p.t })), inRange.length)
    } · baseline ${baseline} points: mean ${d.mu.toPrecision(3)}, σ ${d.sd.toPrecision(3)}`,
  });
}

const day = (t: unknown) => String(t ?? "").slice(0, 10);

function inSpan(t: string, span: ChartSpan): boolean {
  return (!span.from || day(t) >= span.from) && (!span.to || day(t) <= span.to);
}

/** "tested 2026-11-08 to 2026-12-07": the dates of the first and last points drawn (and how many of all). */
function spanText(points: Array<Record<string, unknown>>, all: number): string {
  const dates = `tested ${day(points[0].test_date)} to ${day(points.at(-1)!.test_date)}`;
  return all > points.length ? `${dates}, the newest ${points.length} of ${all} points` : dates;
}
