/** DuckDB values as the plain JS values users and files expect, and rows as table, CSV or JSON text. */
import type { DuckDBValue } from "@duckdb/node-api";

/** `text` as a SQL string literal, for the places DuckDB takes no parameter (ATTACH, COPY … TO). */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A DuckDB value as plain JSON: BIGINT as a number when it fits, dates and timestamps as text, lists as arrays. */
export function plainValue(v: DuckDBValue): unknown {
  if (v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return [...v];
  if (typeof v === "object" && "items" in v && Array.isArray(v.items)) return v.items.map(plainValue);
  if (typeof v === "object" && "entries" in v && typeof v.entries === "object" && !Array.isArray(v.entries)) {
    return Object.fromEntries(
      Object.entries(v.entries as Record<string, DuckDBValue>).map(([k, x]) => [k, plainValue(x)]),
    );
  }
  const s = String(v);
  if (typeof v === "object" && "width" in v && "scale" in v) return Number(s);
  return s;
}

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
