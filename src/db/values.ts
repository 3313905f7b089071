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
  if (format === "csv") {
    const quote = (s: string) => /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
    return [columns, ...rows].map((r) => r.map((v) => quote(cellText(v))).join(",")).join("\n");
  }
  return table(columns, rows.map((r) => r.map(tableCell)));
}

/** A table fits a terminal this wide; longer cells become numbered notes below it. */
const TABLE_WIDTH = 120;
/** Cells past this length are the ones moved to notes when a table is too wide. */
const NOTE_AFTER = 24;

/** A cell as a person reads it: fractions to 6 significant digits (raw values stay in json and csv). */
function tableCell(v: unknown): string {
  return typeof v === "number" && !Number.isInteger(v) ? String(Number(v.toPrecision(6))) : cellText(v);
}

/** A cell as written: nothing for null, JSON for lists and structs, else its text. */
function cellText(v: unknown): string {
  return v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** Columns padded to their widest cell; over `TABLE_WIDTH`, long cells move to notes under the table. */
function table(columns: string[], rows: string[][]): string {
  const notes: string[] = [];
  const widthOf = (r: string[][]) => columns.map((_, i) => Math.max(...r.map((row) => row[i].length)));
  let cells = [columns, ...rows];
  const total = widthOf(cells).reduce((a, w) => a + w + 2, 0);
  if (total > TABLE_WIDTH) {
    cells = [columns, ...rows.map((r) => r.map((v) => v.length > NOTE_AFTER ? `[${notes.push(v)}]` : v))];
  }
  const widths = widthOf(cells);
  const numeric = columns.map((_, i) =>
    rows.length > 0 && rows.every((r) => r[i] === "" || isNumberText(r[i]))
  );
  const line = (r: string[]) =>
    r.map((v, i) => numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])).join("  ").trimEnd();
  return [
    line(cells[0]),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.slice(1).map(line),
    `(${rows.length} row${rows.length === 1 ? "" : "s"})`,
    ...notes.map((n, i) => `[${i + 1}] ${n}`),
  ].join("\n");
}

const isNumberText = (v: string) => /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v);
