/**
 * Templates the workbench pages add to the report's: the sparkline of a dashboard card and the failure
 * Pareto with its cumulative share. Same conventions as `specs.ts`: data in `rows`, titles as params.
 */
import type { Template } from "./svg.ts";
import { FAIL_COLOR, PASS_COLOR } from "./specs.ts";

const FONT = "DejaVu Sans, Arial, sans-serif";

/** A card's sparkline: pass rate per test day on a fixed 0–100% scale, no axes. Rows: `{day, pass_rate}`. */
export const SPARKLINE: Template = {
  name: "sparkline",
  spec: {
    width: 220,
    height: 36,
    padding: 2,
    config: { font: FONT, view: { stroke: null } },
    data: { name: "rows" },
    mark: { type: "line", color: PASS_COLOR, strokeWidth: 1.5, point: { size: 6, color: PASS_COLOR } },
    encoding: {
      x: { field: "day", type: "temporal", axis: null },
      y: { field: "pass_rate", type: "quantitative", scale: { domain: [0, 1] }, axis: null },
    },
  },
};

const titleParams = [{ name: "chartTitle", value: "" }, { name: "chartSubtitle", value: "" }];

/**
 * Failure Pareto: tracks per reason as bars (most frequent first) and the cumulative share as a line on
 * its own 0–100% axis. Rows: `{reason, tracks, cumulative}`.
 */
export const PARETO_CUMULATIVE: Template = {
  name: "pareto_cumulative",
  spec: {
    width: { step: 150 },
    height: 220,
    config: { font: FONT, view: { stroke: "#ccc" }, axis: { gridColor: "#eee" } },
    params: titleParams,
    title: { text: { expr: "chartTitle" }, subtitle: { expr: "chartSubtitle" }, anchor: "start" } as never,
    data: { name: "rows" },
    encoding: {
      x: {
        field: "reason",
        type: "nominal",
        // The rows come most frequent first; a sort here made Vega-Lite warn when it unions the layers.
        sort: null,
        title: null,
        axis: { labelAngle: 0, labelLimit: 145 },
      },
    },
    layer: [
      {
        mark: { type: "bar", color: FAIL_COLOR, opacity: 0.85 },
        encoding: {
          y: {
            field: "tracks",
            type: "quantitative",
            title: "tracks",
            axis: { tickMinStep: 1, format: "d" },
          },
        },
      },
      {
        mark: { type: "line", color: "#37474f", point: { filled: true, color: "#37474f" } },
        encoding: {
          y: {
            field: "cumulative",
            type: "quantitative",
            title: "cumulative share",
            scale: { domain: [0, 1] },
            axis: { format: "%", orient: "right" },
          },
        },
      },
    ],
    resolve: { scale: { y: "independent" } },
  },
};
