/**
 * A model's Cpk over time: one point per run of consecutive points (at most 24 runs, each at least
 * `capabilityMinN` points) and metric, with its 95% interval, against the 1.33 a capable process keeps and
 * the 1.0 below which it makes scrap. A run too short to rate is left out and counted in the subtitle.
 */
import type { CapabilityRow } from "../analyze/capability.ts";
import { renderSvg, type Template } from "./svg.ts";
import { PASS_COLOR, view, WARN_COLOR } from "./specs.ts";

/** Points on the trend at most: more do not read on 640 pixels. */
export const CPK_TREND_RUNS = 24;
const METRIC_COLORS = { domain: ["sigma gradient", "linearity error"], range: ["#1565c0", "#6a1b9a"] };

/** Rows: `{period, metric, cpk, lo, hi}`; the two reference lines as `{ref, value}`. */
const CPK_TREND: Template = {
  name: "cpk_trend",
  spec: {
    ...view(220),
    layer: [
      {
        transform: [{ filter: "datum.ref" }],
        mark: { type: "rule", strokeDash: [4, 3] },
        encoding: {
          y: { field: "value", type: "quantitative" },
          color: {
            field: "ref",
            type: "nominal",
            title: "reference",
            scale: { domain: ["1.33 capable", "1.0 minimum"], range: [PASS_COLOR, WARN_COLOR] },
          },
        },
      },
      {
        transform: [{ filter: "!datum.ref" }],
        mark: { type: "rule", opacity: 0.5 },
        encoding: {
          x: { field: "period", type: "temporal" },
          y: { field: "lo", type: "quantitative" },
          y2: { field: "hi" },
          color: { field: "metric", type: "nominal", scale: METRIC_COLORS, legend: null },
        },
      },
      {
        transform: [{ filter: "!datum.ref" }],
        mark: { type: "line", point: { filled: true, size: 40 } },
        encoding: {
          x: {
            field: "period",
            type: "temporal",
            title: "first test of the run",
            axis: { format: "%b %d %Y", labelOverlap: true },
          },
          y: { field: "cpk", type: "quantitative", title: "Cpk (95% interval)", scale: { zero: false } },
          color: { field: "metric", type: "nominal", title: "metric", scale: METRIC_COLORS },
        },
      },
    ],
    resolve: { scale: { color: "independent" } },
  },
};

/** The chart of `rows` (capability rows with their period), or `null` when no period is rated. */
export async function cpkTrendSvg(rows: CapabilityRow[], subject: string): Promise<string | null> {
  const rated = rows.filter((r) => r.period && r.cpk !== null);
  if (rated.length === 0) return null;
  const unrated = rows.length - rated.length;
  const data: Record<string, unknown>[] = rated.map((r) => ({
    period: r.period,
    metric: r.metric.replace("_", " "),
    cpk: r.cpk,
    lo: r.cpk_ci_low,
    hi: r.cpk_ci_high,
  }));
  data.push({ ref: "1.33 capable", value: 1.33 }, { ref: "1.0 minimum", value: 1.0 });
  return await renderSvg(CPK_TREND, data, {
    chartTitle: "Cpk over time",
    chartSubtitle: `${subject} · runs of ${
      Math.min(...rated.map((r) => r.n))
    } or more points in test order, ` +
      `dated by their first · one-sided (upper limit), σ within${
        unrated ? ` · ${unrated} short run(s) not drawn` : ""
      }`,
  });
}
