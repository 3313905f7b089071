/**
 * The Vega-Lite templates. Data arrive in the dataset `rows`; titles and verdict colours arrive as params,
 * so one compiled template serves every chart of its kind.
 */
import type { TopLevelSpec } from "vega-lite";
import type { Template } from "./svg.ts";

type Title = Exclude<TopLevelSpec["title"], undefined>;

export const PASS_COLOR = "#2e7d32";
export const FAIL_COLOR = "#c62828";
export const WARN_COLOR = "#ef6c00";

const FONT = "DejaVu Sans, Arial, sans-serif";
const config = { font: FONT, view: { stroke: "#ccc" }, axis: { gridColor: "#eee" } };
const titleParams = [
  { name: "chartTitle", value: "" },
  { name: "chartSubtitle", value: "" },
];
// Vega accepts an expression as subtitle (the charts show it); Vega-Lite's types only admit one for `text`.
const title = {
  text: { expr: "chartTitle" },
  subtitle: { expr: "chartSubtitle" },
  anchor: "start",
} as unknown as Title;

/** Counts are whole numbers: no 0.5 ticks. */
const COUNT_AXIS = { tickMinStep: 1, format: "d" };
/** Dates as days, at most one label a day (hour ticks printed "12 PM" twice over a short range). */
const DAY_AXIS = { format: "%b %d", tickMinStep: 86_400_000, labelOverlap: true };

/** What every single-view template shares: size, look, title params and the `rows` dataset. */
export const view = (height: number) => ({
  width: 640,
  height,
  config,
  params: titleParams,
  title,
  data: { name: "rows" },
});

/** Sigma gradient per track over time, with the threshold and mean ± 3σ control limits as rules. */
export const SIGMA_TREND: Template = {
  name: "sigma_trend",
  spec: {
    ...view(240),
    layer: [
      {
        name: "sigma",
        transform: [{ filter: "datum.series === 'sigma'" }],
        mark: { type: "point", filled: true, size: 18, opacity: 0.7 },
        encoding: {
          x: { field: "date", type: "temporal", title: "test date", scale: { padding: 8 }, axis: DAY_AXIS },
          y: { field: "value", type: "quantitative", title: "sigma gradient" },
          color: {
            field: "status",
            type: "nominal",
            scale: {
              domain: ["PASS", "WARNING", "FAIL", "ERROR"],
              range: [PASS_COLOR, WARN_COLOR, FAIL_COLOR, "#616161"],
            },
            title: "status",
          },
        },
      },
      {
        name: "rules",
        transform: [{ filter: "datum.series !== 'sigma'" }],
        mark: { type: "rule", strokeDash: [6, 3] },
        encoding: {
          y: { field: "value", type: "quantitative" },
          strokeDash: { field: "series", type: "nominal", title: "line" },
        },
      },
    ],
  },
};

/**
 * Pass rate per test day: a bar, and a dark tick at its top, so a day at 0% shows (a tick on the axis)
 * where a day without tests shows nothing. Rows: `{day, pass_rate}`.
 */
export const PASS_RATE: Template = {
  name: "pass_rate",
  spec: {
    ...view(200),
    encoding: {
      x: {
        field: "day",
        type: "temporal",
        timeUnit: "yearmonthdate",
        title: "test day",
        scale: { padding: 8 },
        axis: DAY_AXIS,
      },
      y: {
        field: "pass_rate",
        type: "quantitative",
        title: "pass rate",
        scale: { domain: [0, 1] },
        axis: { format: "%" },
      },
    },
    layer: [
      { mark: { type: "bar", color: PASS_COLOR, opacity: 0.8 } },
      { mark: { type: "tick", color: "#263238", thickness: 2 } },
    ],
  },
};

/** Failure reasons, most frequent first. */
export const PARETO: Template = {
  name: "pareto",
  spec: {
    ...view(200),
    mark: { type: "bar", color: FAIL_COLOR },
    encoding: {
      y: { field: "reason", type: "nominal", sort: "-x", title: null, axis: { labelLimit: 320 } },
      x: { field: "tracks", type: "quantitative", title: "tracks", axis: COUNT_AXIS },
    },
  },
};

/** Histogram of linearity error with the spec limit as a rule. */
export const LINEARITY_HISTOGRAM: Template = {
  name: "linearity_histogram",
  spec: {
    ...view(200),
    layer: [
      {
        transform: [{ filter: "datum.series === 'error'" }],
        mark: { type: "bar", color: "#546e7a" },
        encoding: {
          x: { field: "value", type: "quantitative", bin: { maxbins: 30 }, title: "linearity error (V)" },
          y: { aggregate: "count", type: "quantitative", title: "tracks", axis: COUNT_AXIS },
        },
      },
      {
        transform: [{ filter: "datum.series === 'spec'" }],
        mark: { type: "rule", color: FAIL_COLOR, strokeDash: [6, 3], strokeWidth: 1.5 },
        encoding: { x: { field: "value", type: "quantitative" } },
      },
    ],
  },
};

/** A control chart's limits as dashed rules, centre dark and limits red, named in the legend. */
function limitRules(filter: string, scale: { domain?: string[]; range: string[] }) {
  return {
    transform: [{ filter }],
    mark: { type: "rule" as const, strokeDash: [6, 3] },
    encoding: {
      y: { field: "value", type: "quantitative" as const },
      color: { field: "series", type: "nominal" as const, scale, title: null },
    },
  };
}

/**
 * I-MR chart: individuals with centre line and 3σ limits, points inside an alarm in red; the moving range
 * below. Rows: `{i, value, chart: "I" | "MR", flagged}`; limits rows `{series, value, chart}`.
 */
export const IMR_CHART: Template = {
  name: "imr",
  spec: {
    config,
    params: titleParams,
    title,
    data: { name: "rows" },
    vconcat: [
      {
        width: 640,
        height: 200,
        transform: [{ filter: "datum.chart === 'I'" }],
        layer: [
          {
            transform: [{ filter: "datum.series === 'point'" }],
            mark: { type: "line", color: "#90a4ae", point: { filled: true, size: 16, color: "#546e7a" } },
            encoding: {
              x: { field: "i", type: "quantitative", title: "sample (time order)" },
              y: { field: "value", type: "quantitative", title: "individual", scale: { zero: false } },
            },
          },
          {
            name: "violations",
            transform: [{ filter: "datum.series === 'point' && datum.flagged" }],
            mark: { type: "point", filled: true, size: 40, color: FAIL_COLOR },
            encoding: {
              x: { field: "i", type: "quantitative" },
              y: { field: "value", type: "quantitative" },
            },
          },
          limitRules("datum.series !== 'point'", { range: ["#424242", FAIL_COLOR, FAIL_COLOR] }),
        ],
      },
      {
        width: 640,
        height: 120,
        transform: [{ filter: "datum.chart === 'MR'" }],
        layer: [
          {
            transform: [{ filter: "datum.series === 'mr'" }],
            mark: { type: "line", color: "#90a4ae" },
            encoding: {
              x: { field: "i", type: "quantitative", title: "sample (time order)" },
              y: { field: "value", type: "quantitative", title: "moving range" },
            },
          },
          limitRules("datum.series !== 'mr'", {
            domain: ["MR centre", "MR UCL"],
            range: ["#424242", FAIL_COLOR],
          }),
        ],
      },
    ],
    resolve: { scale: { color: "independent" } },
  },
};

/** CUSUM sums against h, and the EWMA against its limits. Rows: `{i, value, series, panel}`. */
export const DRIFT_CHART: Template = {
  name: "drift",
  spec: {
    config,
    params: titleParams,
    title,
    data: { name: "rows" },
    vconcat: ["CUSUM", "EWMA"].map((panel) => ({
      width: 640,
      height: 150,
      transform: [{ filter: `datum.panel === '${panel}'` }],
      mark: { type: "line" as const, strokeWidth: 1.25 },
      encoding: {
        x: { field: "i", type: "quantitative" as const, title: "sample (time order)" },
        y: { field: "value", type: "quantitative" as const, title: panel, scale: { zero: false } },
        color: { field: "series", type: "nominal" as const, title: null },
        strokeDash: {
          condition: { test: "indexof(datum.series, 'limit') >= 0 || datum.series === 'h'", value: [6, 3] },
          value: [1, 0],
        },
      },
    })),
  },
};
