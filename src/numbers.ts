/** Numbers as the pages, PDFs and reports print them; `—` where there is none. */

/** A number to 6 significant digits. */
export function num(v: unknown): string {
  if (v === null || v === undefined) return "—";
  const n = Number(v);
  return Number.isFinite(n) ? String(Number(n.toPrecision(6))) : String(v);
}

/** A share as a percentage to one decimal. */
export function pct(v: unknown): string {
  return v === null || v === undefined ? "—" : `${(Number(v) * 100).toFixed(1)}%`;
}

/** An index (Cp, Cpk, …) to two decimals. */
export function fixed(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "—" : x.toFixed(2);
}
