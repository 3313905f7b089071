/**
 * What a user's reading statement may call. The query endpoint runs on the service's own DuckDB instance
 * (a second instance on the file would be a second descriptor, and closing it would drop the writer's
 * lock), where external access is off, yet DuckDB still lets `read_blob`/`read_text` read the database
 * and its WAL, `checkpoint()` write, `query()` run any SQL and `current_setting` show folders. So the
 * statement is parsed by DuckDB (`json_serialize_sql`) and every function it names is checked: table
 * functions from a short list, scalar functions that reach files, settings or other SQL refused.
 */
import type { DuckDBConnection } from "@duckdb/node-api";

/**
 * Table functions a question about the history needs: series, the catalog's own description, and our
 * macro matching Final Tests to trims for a range of days (final_test_views.sql).
 */
const TABLE_FUNCTIONS = new Set([
  "trim_vs_final_in",
  "range",
  "generate_series",
  "unnest",
  "duckdb_tables",
  "duckdb_columns",
  "duckdb_views",
  "duckdb_schemas",
  "duckdb_types",
  "duckdb_functions",
  "duckdb_constraints",
  "duckdb_indexes",
  "duckdb_keywords",
  "duckdb_sequences",
]);

/** Scalar functions that read or list files, show settings, or run SQL of their own. */
const REFUSED_FUNCTIONS =
  /^(read_\w+|glob|query|query_table|checkpoint|force_checkpoint|current_setting|getenv|parquet_\w+|sniff_csv|json_execute_serialized_sql|json_deserialize_sql|duckdb_(databases|settings|temporary_files|extensions|memory|secrets|logs?|variables|dependencies|external_file_cache)|pragma_\w+|which_secret|install_\w+|load_\w+)$/i;

/**
 * Why `sql` (one statement) may not run; `null` when nothing refuses it, and `unchecked` when DuckDB could
 * not serialize it (anything but a SELECT: the caller refuses those by their statement type).
 */
export async function refusal(conn: DuckDBConnection, sql: string): Promise<string | null | "unchecked"> {
  let inner = sql.trim();
  const explain = /^explain\s+(analyze\s+)?/i.exec(inner);
  if (explain?.[1]) return "EXPLAIN ANALYZE runs the statement; use EXPLAIN";
  if (explain) inner = inner.slice(explain[0].length);
  const reader = await conn.runAndReadAll("SELECT json_serialize_sql($1::VARCHAR)", [inner]);
  const tree = JSON.parse(String(reader.getRows()[0][0]));
  // DuckDB serializes SELECT (DESCRIBE, SHOW and SUMMARIZE included); what it cannot, nobody can inspect.
  if (tree.error) return "unchecked";
  const problems: string[] = [];
  walk(tree, (node) => {
    if (node.type === "TABLE_FUNCTION") {
      const name = String((node.function as Record<string, unknown>)?.function_name ?? "");
      if (!TABLE_FUNCTIONS.has(name.toLowerCase())) problems.push(`table function ${name}()`);
    } else if (node.class === "FUNCTION" && REFUSED_FUNCTIONS.test(String(node.function_name))) {
      problems.push(`function ${node.function_name}()`);
    } else if (node.type === "BASE_TABLE" && /[/\\.]/.test(String(node.table_name))) {
      problems.push("reading a file by its name");
    }
  });
  if (problems.length === 0) return null;
  return `not allowed in a query: ${
    [...new Set(problems)].join(", ")
  } (queries read lta's tables and views only)`;
}

/** Calls `visit` on every object in `value`, depth first. */
function walk(value: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (value && typeof value === "object") {
    visit(value as Record<string, unknown>);
    for (const child of Object.values(value)) walk(child, visit);
  }
}

/**
 * `message` with the folders a client need not know (the database's, its temp folder, the home and
 * working folders) replaced by what they are.
 */
export function withoutPaths(message: string, dbPath: string): string {
  const home = Deno.env.get("HOME");
  const known: Array<[string | undefined, string]> = [
    [`${dbPath}.tmp`, "<temp folder>"],
    [dbPath, "<database>"],
    [dbPath.includes("/") ? dbPath.slice(0, dbPath.lastIndexOf("/")) : undefined, "<database folder>"],
    [Deno.cwd(), "<working folder>"],
    [home && home.length > 1 ? home : undefined, "~"],
  ];
  let out = message;
  for (const [path, name] of known) if (path) out = out.replaceAll(path, name);
  return out;
}
