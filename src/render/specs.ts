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

/** What every single-view template shares: size, look, title params and the `rows` dataset. */
const view = (height: number) => ({
  width: 640,
  height,
  config,
  params: titleParams,
  title,
  data: { name: "rows" },
});

/**
 * One track: the error after the optimal offset (verdict colour), the untrimmed error (light), the limits
 * (dashed) and the points outside them (circles); the subtitle gives the offset.
 * Rows: `{position, value, series}` with series untrimmed | shifted | upper | lower | fail.
 */
export const TRACK_CHART: Template = {
  name: "track",
  spec: {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 640,
    height: 300,
    config,
    params: [...titleParams, { name: "lineColor", value: PASS_COLOR }],
    title,
    data: { name: "rows" },
    encoding: {
      x: { field: "position", type: "quantitative", title: "position" },
      y: { field: "value", type: "quantitative", title: "error (V)" },
    },
    layer: [
      {
        name: "untrimmed",
        transform: [{ filter: "datum.series === 'untrimmed'" }],
        mark: { type: "line", color: "#bdbdbd", strokeWidth: 1 },
      },
      {
        name: "limits",
        transform: [{ filter: "datum.series === 'upper' || datum.series === 'lower'" }],
        mark: { type: "line", color: FAIL_COLOR, strokeDash: [6, 3], strokeWidth: 1.25 },
        encoding: { detail: { field: "series" } },
      },
      {
        name: "shifted",
        transform: [{ filter: "datum.series === 'shifted'" }],
        mark: { type: "line", color: { expr: "lineColor" }, strokeWidth: 1.75 },
      },
      {
        name: "fail",
        transform: [{ filter: "datum.series === 'fail'" }],
        mark: { type: "point", shape: "circle", size: 50, filled: true, color: FAIL_COLOR },
      },
    ],
  },
};

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
          x: { field: "date", type: "temporal", title: "test date" },
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

/** Pass rate per day (bars) with the number of tracks in the tooltip-free label. */
export const PASS_RATE: Template = {
  name: "pass_rate",
  spec: {
    ...view(200),
    mark: { type: "bar", color: PASS_COLOR },
    encoding: {
      x: { field: "day", type: "temporal", timeUnit: "yearmonthdate", title: "day" },
      y: {
        field: "pass_rate",
        type: "quantitative",
        title: "pass rate",
        scale: { domain: [0, 1] },
        axis: { format: "%" },
      },
    },
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
      x: { field: "tracks", type: "quantitative", title: "tracks" },
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
          y: { aggregate: "count", type: "quantitative", title: "tracks" },
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
          {
            transform: [{ filter: "datum.series !== 'point'" }],
            mark: { type: "rule", strokeDash: [6, 3] },
            encoding: {
              y: { field: "value", type: "quantitative" },
              color: {
                field: "series",
                type: "nominal",
                scale: { range: ["#424242", FAIL_COLOR, FAIL_COLOR] },
                title: null,
              },
            },
          },
        ],
      },
      {
        width: 640,
        height: 120,
        transform: [{ filter: "datum.chart === 'MR'" }],
        mark: { type: "line", color: "#90a4ae" },
        encoding: {
          x: { field: "i", type: "quantitative", title: "sample (time order)" },
          y: { field: "value", type: "quantitative", title: "moving range" },
        },
      },
    ],
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
