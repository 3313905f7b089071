/** SPC charts for a model: I-MR with limits and alarm points, and CUSUM/EWMA against their limits. */
import { driftSeries } from "../analyze/spc_drift.ts";
import { seriesCte, type SpcMetric } from "../analyze/spc_series.ts";
import type { Queryable } from "../db/database.ts";
import { DRIFT_CHART, IMR_CHART } from "./specs.ts";
import { renderSvg } from "./svg.ts";

/**
 * The I-MR chart of `metric` for `model` against its newest control limits; `null` without limits. Points
 * inside alarms are red: every alarm's, or only those of `alarmId`.
 */
export async function imrChartSvg(
  db: Queryable,
  model: string,
  metric: SpcMetric,
  alarmId: number | null = null,
): Promise<string | null> {
  const [limits] = await db.rows(
    "SELECT version, centre, lcl, ucl, mr_bar FROM control_limits WHERE model = $1 AND metric = $2 ORDER BY version DESC LIMIT 1",
    [model, metric],
  );
  if (!limits) return null;
  const points = await db.rows(
    `WITH ${seriesCte(metric)},
     flagged AS (SELECT DISTINCT unnest(file_ids) AS file_id FROM spc_alarms
                 WHERE model = $1 AND metric = $2 AND ($3::BIGINT IS NULL OR alarm_id = $3))
     SELECT i, x AS value, abs(x - lag(x) OVER (ORDER BY i)) AS mr, file_id IN (SELECT file_id FROM flagged) AS flagged
     FROM series ORDER BY i`,
    [model, metric, alarmId],
  );
  const rows: Record<string, unknown>[] = [];
  for (const p of points) {
    rows.push({ i: p.i, value: p.value, chart: "I", series: "point", flagged: p.flagged });
    if (p.mr !== null) rows.push({ i: p.i, value: p.mr, chart: "MR", series: "mr" });
  }
  for (const series of ["centre", "ucl", "lcl"]) rows.push({ chart: "I", series, value: limits[series] });
  // D4 = 3.267 for moving ranges of two.
  rows.push({ chart: "MR", series: "MR centre", value: limits.mr_bar });
  rows.push({ chart: "MR", series: "MR UCL", value: 3.267 * Number(limits.mr_bar) });
  return await renderSvg(IMR_CHART, rows, {
    chartTitle: `I-MR: ${metric.replace("_", " ")}`,
    chartSubtitle: `${model} · limits version ${limits.version} · red: points ${
      alarmId === null ? "in an alarm" : `of alarm ${alarmId}`
    }`,
  });
}

/** CUSUM and EWMA of the model's sigma gradient; `null` before the baseline is complete. */
export async function driftChartSvg(db: Queryable, model: string, baseline: number): Promise<string | null> {
  const d = await driftSeries(db, model, baseline);
  if (!d) return null;
  const rows: Record<string, unknown>[] = [];
  for (const p of d.points) {
    rows.push(
      { i: p.i, value: p.cusumHi, series: "CUSUM up", panel: "CUSUM" },
      { i: p.i, value: p.cusumLo, series: "CUSUM down", panel: "CUSUM" },
      { i: p.i, value: d.h, series: "h", panel: "CUSUM" },
      { i: p.i, value: p.ewma, series: "EWMA", panel: "EWMA" },
      { i: p.i, value: d.ewmaUcl, series: "upper limit", panel: "EWMA" },
      { i: p.i, value: d.ewmaLcl, series: "lower limit", panel: "EWMA" },
    );
  }
  return await renderSvg(DRIFT_CHART, rows, {
    chartTitle: "Drift of sigma gradient",
    chartSubtitle: `${model} · baseline ${baseline} points: mean ${d.mu.toPrecision(3)}, σ ${
      d.sd.toPrecision(3)
    }`,
  });
}
