/**
 * A capability row as the model page, its PDF and the nightly report print it: the index with its interval,
 * PPM beyond the limit, the normality test, the rating, and why a row is not rated.
 */
import type { CapabilityRow } from "../analyze/capability.ts";
import { fixed, num } from "../numbers.ts";

export const CAPABILITY_HEADER = [
  "metric",
  "n",
  "mean",
  "limit",
  "Cpk",
  "Cpk 95% CI",
  "Ppk",
  "PPM above: observed / expected",
  "normality (AD p)",
  "rating",
];

/** What the header's Cpk and Ppk mean for these rows. */
export const CAPABILITY_FOOTNOTE =
  "Sigma gradient and linearity error cannot go below 0: only the upper limit " +
  "applies, so Cpk is Cpu and Ppk is Ppu (Cp and Pp do not apply). Cpk uses σ within (moving range), Ppk σ " +
  "overall; expected PPM assume a normal distribution with σ overall. A sample out of statistical control is " +
  "not rated.";

const ppm = (
  x: number | null,
) => (x === null ? "—" : x < 1 && x > 0 ? "< 1" : Math.round(x).toLocaleString("en-US"));

/** The cells of one row, in the header's order. */
export function capabilityCells(c: CapabilityRow): string[] {
  return [
    c.metric.replace("_", " "),
    String(c.n),
    num(c.mean),
    c.lsl === null ? `≤ ${num(c.usl)}` : `${num(c.lsl)} … ${num(c.usl)}`,
    fixed(c.cpk),
    c.cpk_ci_low === null ? "—" : `${fixed(c.cpk_ci_low)} – ${fixed(c.cpk_ci_high)}`,
    fixed(c.ppk),
    c.mean === null ? "—" : `${ppm(c.ppm_above_observed)} / ${ppm(c.ppm_above_expected)}`,
    c.normality_p === null ? "—" : `${c.normality_p < 0.05 ? "no" : "yes"} (${c.normality_p.toPrecision(2)})`,
    c.rating,
  ];
}

/** Every note of the rows, each with its metric. */
export function capabilityNotes(rows: CapabilityRow[]): string[] {
  return rows.flatMap((c) => c.notes.map((n) => `${c.metric.replace("_", " ")}: ${n}`));
}
