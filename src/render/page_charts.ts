/** The workbench's small charts, from rows the pages already read. */
import { PARETO_CUMULATIVE, SPARKLINE } from "./page_specs.ts";
import { renderSvg } from "./svg.ts";

type Row = Record<string, unknown>;

/** The pass-rate sparkline of a card; `null` with fewer than two test days. */
export async function sparklineSvg(days: Row[]): Promise<string | null> {
  if (days.length < 2) return null;
  return await renderSvg(SPARKLINE, days.map((d) => ({ day: d.day, pass_rate: Number(d.pass_rate) })));
}

/** The failure Pareto of a range; `null` when every track passed. */
export async function paretoSvg(reasons: Row[], subtitle: string): Promise<string | null> {
  if (reasons.length === 0) return null;
  return await renderSvg(
    PARETO_CUMULATIVE,
    reasons.map((r) => ({ reason: r.reason, tracks: Number(r.tracks), cumulative: Number(r.cumulative) })),
    { chartTitle: "Why tracks did not pass", chartSubtitle: subtitle },
  );
}
