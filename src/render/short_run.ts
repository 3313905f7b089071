/**
 * The short-run chart of a model too new for control limits of its own: every analysed track of its
 * family (the models sharing its leading number, e.g. 8340-1 and 8340-2) in test order, each value divided
 * by its own limit so different specs share one scale, against the family's centre and 3σ (σ from the mean
 * moving range), as short-run SPC tools standardize. The model's own points are drawn larger.
 */
import type { SpcMetric } from "../analyze/spc_series.ts";
import type { Queryable } from "../db/database.ts";
import { FAIL_COLOR, view } from "./specs.ts";
import { renderSvg, type Template } from "./svg.ts";

/** The newest points drawn, as on the I-MR chart. */
const MAX_POINTS = 1000;
const LIMIT = { sigma_gradient: "sigma_threshold", linearity_error: "linearity_spec" };

/** A model's family: its leading number (`8340-1` → `8340`), or the model itself when it has none. */
export function familyOf(model: string): string {
  return /^\d+/.exec(model)?.[0] ?? model;
}

/** Rows: points `{i, z, model, own}`; the limits as `{series, value}`. */
const SHORT_RUN: Template = {
  name: "short_run",
  spec: {
    ...view(220),
    layer: [
      {
        transform: [{ filter: "datum.series === 'point'" }],
        mark: { type: "point", filled: true, opacity: 0.8 },
        encoding: {
          x: { field: "i", type: "quantitative", title: "sample of the family (time order)" },
          y: { field: "z", type: "quantitative", title: "value / its limit", scale: { zero: false } },
          color: { field: "model", type: "nominal", title: "model" },
          size: {
            field: "own",
            type: "ordinal",
            title: "points",
            scale: { domain: ["this model", "family"], range: [60, 14] },
          },
        },
      },
      {
        transform: [{ filter: "datum.series !== 'point'" }],
        mark: { type: "rule", strokeDash: [6, 3] },
        encoding: {
          y: { field: "value", type: "quantitative" },
          stroke: {
            field: "series",
            type: "nominal",
            title: "family limits",
            scale: { domain: ["centre", "UCL", "LCL"], range: ["#424242", FAIL_COLOR, FAIL_COLOR] },
          },
        },
      },
    ],
  },
};

/** The chart for `model`'s `metric`, or `null` when its family has fewer than `minPoints` points. */
export async function shortRunSvg(
  db: Queryable,
  model: string,
  metric: SpcMetric,
  minPoints: number,
): Promise<string | null> {
  const family = familyOf(model);
  const rows = await db.rows(
    `WITH fam AS (
       SELECT model, ${metric} / ${LIMIT[metric]} AS z,
              row_number() OVER (ORDER BY test_date, file_id, track_id) AS i
       FROM v_tracks
       WHERE (model = $1 OR regexp_extract(model, '^[0-9]+') = $2 AND $2 <> '') AND overall_status <> 'ERROR'
         AND ${metric} IS NOT NULL AND isfinite(${metric}) AND ${LIMIT[metric]} > 0
     )
     SELECT i, model, z, abs(z - lag(z) OVER (ORDER BY i)) AS mr FROM fam ORDER BY i`,
    [model, /^\d+$/.test(family) ? family : ""],
  );
  if (rows.length < minPoints) return null;
  const zs = rows.map((r) => Number(r.z));
  const centre = zs.reduce((s, z) => s + z, 0) / zs.length;
  const mrs = rows.slice(1).map((r) => Number(r.mr));
  const sigma = mrs.reduce((s, m) => s + m, 0) / mrs.length / 1.128;
  const models = new Set(rows.map((r) => String(r.model)));
  const data: Record<string, unknown>[] = rows.slice(-MAX_POINTS).map((r) => ({
    series: "point",
    i: Number(r.i),
    z: Number(r.z),
    model: String(r.model),
    own: r.model === model ? "this model" : "family",
  }));
  data.push(
    { series: "centre", value: centre },
    { series: "UCL", value: centre + 3 * sigma },
    { series: "LCL", value: centre - 3 * sigma },
  );
  return await renderSvg(SHORT_RUN, data, {
    chartTitle: `Short-run chart: ${metric.replace("_", " ")} / its limit`,
    chartSubtitle: `family ${family}: ${[...models].sort().join(", ")} · ${rows.length} points · ` +
      `centre ${centre.toPrecision(3)}, 3σ ${(3 * sigma).toPrecision(3)} (σ = MR̄/1.128)`,
  });
}
