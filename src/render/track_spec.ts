/**
 * The per-track chart's template: the spec band shaded between the limits (dashed red), the trimmed error
 * after the optimal offset (blue) and before it (light blue, dashed), the untrimmed error (grey), points
 * outside the limits (red circles) and points beyond the drawn scale (orange triangles at its edge). The
 * y scale is given as params, so one spike cannot squash the plot. When the untrimmed error's range dwarfs
 * the trimmed one (3× or more, as upstream switches), it gets its own axis on the right.
 * Rows: `{position, value, series}`, series untrimmed | raw | shifted | fail | clipped; band rows
 * `{position, lo, hi, series: "band"}`.
 */
import type { TopLevelSpec } from "vega-lite";
import { FAIL_COLOR, PASS_COLOR } from "./specs.ts";
import type { Template } from "./svg.ts";

const FONT = "DejaVu Sans, Arial, sans-serif";

/** The legend's entries, in order, and their colours. */
const SERIES = ["after offset", "before offset", "untrimmed", "limits", "outside limits", "beyond scale"];
const COLORS = ["#1565c0", "#90caf9", "#9e9e9e", FAIL_COLOR, FAIL_COLOR, "#ef6c00"];

const color = (label: string) => ({
  datum: label,
  type: "nominal" as const,
  scale: { domain: SERIES, range: COLORS },
  legend: { title: null, orient: "bottom" as const, direction: "horizontal" as const },
});

const only = (series: string) => ({ filter: `datum.series === '${series}'` });

/** The y encoding of the trimmed error's scale, bounded by the `yMin` and `yMax` params. */
const y = (title: string | null = "error (V)") => ({
  field: "value",
  type: "quantitative" as const,
  title,
  scale: { domain: [{ expr: "yMin" }, { expr: "yMax" }], clamp: true, zero: false, nice: false },
});

/** The layers on the trimmed error's scale: band, limits, the error before and after offset, marks. */
function trimmedLayers() {
  return [
    {
      name: "band",
      transform: [only("band")],
      mark: { type: "area" as const, color: PASS_COLOR, opacity: 0.1 },
      encoding: { y: { ...y(), field: "lo" }, y2: { field: "hi" } },
    },
    ...["lo", "hi"].map((edge) => ({
      name: `limit_${edge}`,
      transform: [only("band")],
      mark: { type: "line" as const, strokeDash: [6, 3], strokeWidth: 1.25 },
      encoding: { y: { ...y(), field: edge }, color: color("limits") },
    })),
    {
      name: "raw",
      transform: [only("raw")],
      mark: { type: "line" as const, strokeWidth: 1, strokeDash: [4, 2] },
      encoding: { y: y(), color: color("before offset") },
    },
    {
      name: "shifted",
      transform: [only("shifted")],
      mark: { type: "line" as const, strokeWidth: 1.75 },
      encoding: { y: y(), color: color("after offset") },
    },
    {
      name: "fail",
      transform: [only("fail")],
      mark: { type: "point" as const, shape: "circle", size: 40, filled: true },
      encoding: { y: y(), color: color("outside limits") },
    },
    {
      name: "clipped",
      transform: [only("clipped")],
      mark: { type: "point" as const, shape: "triangle-up", size: 60, filled: true },
      encoding: { y: y(), color: color("beyond scale") },
    },
  ];
}

function spec(untrimmedAxis: boolean, unit: string): TopLevelSpec {
  const trimmed = trimmedLayers();
  const untrimmed = {
    name: "untrimmed",
    transform: [only("untrimmed")],
    mark: { type: "line" as const, strokeWidth: 1 },
    encoding: {
      y: untrimmedAxis
        ? {
          field: "value",
          type: "quantitative" as const,
          title: "untrimmed error (V)",
          axis: { orient: "right" },
        }
        : y(),
      color: color("untrimmed"),
    },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 640,
    height: 300,
    config: { font: FONT, view: { stroke: "#ccc" }, axis: { gridColor: "#eee" } },
    params: [
      { name: "chartTitle", value: "" },
      { name: "chartSubtitle", value: "" },
      { name: "yMin", value: -1 },
      { name: "yMax", value: 1 },
    ],
    title: { text: { expr: "chartTitle" }, subtitle: { expr: "chartSubtitle" }, anchor: "start" } as never,
    data: { name: "rows" },
    encoding: { x: { field: "position", type: "quantitative", title: `position (${unit})` } },
    layer: untrimmedAxis ? [{ layer: trimmed }, untrimmed] : [untrimmed, ...trimmed],
    ...(untrimmedAxis ? { resolve: { scale: { y: "independent" } } } : {}),
  } as TopLevelSpec;
}

/** Positions are degrees on rotary parts and inches on linear ones; the files do not say which. */
export type PositionUnit = "degrees" | "inches";

const templates = new Map<string, Template>();

/** The template for a chart in `unit`, the untrimmed error on its own axis when it would dwarf the trimmed. */
export function trackTemplate(unit: PositionUnit, untrimmedAxis: boolean): Template {
  const name = `track_${unit}${untrimmedAxis ? "_two_axes" : ""}`;
  let template = templates.get(name);
  if (!template) templates.set(name, template = { name, spec: spec(untrimmedAxis, unit) });
  return template;
}
