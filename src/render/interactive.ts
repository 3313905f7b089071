/**
 * Specs for the charts the browser draws live (vega-embed, served from the service): the server's
 * template with its data inline, tooltips naming each point's unit and date, zoom and pan on the time
 * axis, and a click on a point opening its unit's page.
 */
import type { TopLevelSpec } from "vega-lite";
import { IMR_CHART, SIGMA_TREND } from "./specs.ts";

type Row = Record<string, unknown>;

/** Tooltip fields naming a point's unit, track and test time. */
const UNIT_TOOLTIP = [
  { field: "unit", title: "unit" },
  { field: "track", title: "track" },
  { field: "date", title: "tested" },
];

/** The I-MR chart of `rows` (as `imrChart` draws it): the individuals name their unit and open it. */
export function imrSpec(rows: Row[], title: string, subtitle: string): TopLevelSpec {
  // deno-lint-ignore no-explicit-any
  const spec = structuredClone(IMR_CHART.spec) as any;
  spec.data = { values: rows };
  spec.params = [{ name: "chartTitle", value: title }, { name: "chartSubtitle", value: subtitle }];
  for (const layer of spec.vconcat[0].layer.slice(0, 2)) {
    layer.encoding.tooltip = [...UNIT_TOOLTIP, { field: "value", title: "value", format: ".6g" }];
    layer.encoding.href = { field: "href" };
  }
  return spec as TopLevelSpec;
}

/** The sigma-gradient trend of `rows` (`{date, value, status, serial, track, href}` and the rules' rows). */
export function sigmaTrendSpec(rows: Row[], title: string, subtitle: string): TopLevelSpec {
  // deno-lint-ignore no-explicit-any
  const spec = structuredClone(SIGMA_TREND.spec) as any;
  spec.data = { values: rows };
  spec.params = [{ name: "chartTitle", value: title }, { name: "chartSubtitle", value: subtitle }];
  const points = spec.layer[0];
  points.params = [{ name: "zoom", select: { type: "interval", encodings: ["x"] }, bind: "scales" }];
  points.encoding.tooltip = [
    { field: "serial", title: "unit" },
    { field: "track", title: "track" },
    { field: "date", type: "temporal", title: "tested", format: "%Y-%m-%d %H:%M" },
    { field: "value", title: "sigma gradient", format: ".6f" },
    { field: "status", title: "verdict" },
  ];
  points.encoding.href = { field: "href" };
  points.mark = { ...points.mark, cursor: "pointer", size: 30 };
  return spec as TopLevelSpec;
}
