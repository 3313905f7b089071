/** Query results as a table, CSV or JSON, with JS values that print as users expect. */
export { plainValue } from "../db/values.ts";

export type OutputFormat = "table" | "csv" | "json";

/** Formats rows (objects in column order) for printing. */
export function formatRows(columns: string[], rows: unknown[][], format: OutputFormat): string {
  if (format === "json") {
    return JSON.stringify(rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))));
  }
  const text = (v: unknown) =>
    v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  if (format === "csv") {
    const quote = (s: string) => /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    return [columns, ...rows].map((r) => r.map((v) => quote(text(v))).join(",")).join("\n");
  }
  const cells = [columns, ...rows.map((r) => r.map(text))];
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join(
    "\n",
  ) +
    `\n(${rows.length} row${rows.length === 1 ? "" : "s"})`;
}
