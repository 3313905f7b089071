/** DuckDB values as the plain JS values users and files expect. */
import type { DuckDBValue } from "@duckdb/node-api";

/** A DuckDB value as plain JSON: BIGINT as a number when it fits, dates and timestamps as text. */
export function plainValue(v: DuckDBValue): unknown {
  if (v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return [...v];
  const s = String(v);
  if (typeof v === "object" && "width" in v && "scale" in v) return Number(s);
  return s;
}
