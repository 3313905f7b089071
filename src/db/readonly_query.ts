/**
 * User SQL, safely: exactly one statement, of a reading type as DuckDB itself classifies it (SELECT, which
 * covers WITH/DESCRIBE/SHOW/SUMMARIZE/FROM, or EXPLAIN), run in a READ ONLY transaction on its own
 * connection of an instance that cannot reach the file system, with a row cap and a time limit.
 */
import { type DuckDBConnection, StatementType } from "@duckdb/node-api";
import type { Database } from "./database.ts";
import { plainValue } from "./values.ts";
import { refusal, withoutPaths } from "./query_guard.ts";
import { asDatabaseError, databaseErrorCode } from "./errors.ts";

export interface QueryLimits {
  maxRows: number;
  timeoutMs: number;
  /** The most text a result may hold before it is cut (default 32 MB): rows are held in JS memory. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

export interface QueryResult {
  columns: string[];
  rows: unknown[][];
  /** True when more rows existed than `maxRows`. */
  truncated: boolean;
}

/** A query refused or failed; the message says why (it goes back to the user as is). */
export class QueryRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "QueryRejected";
  }
}

const READING = new Set<number>([StatementType.SELECT, StatementType.EXPLAIN]);

/** Runs `sql` under the rules above on a fresh connection. */
export function runReadOnlyQuery(db: Database, sql: string, limits: QueryLimits): Promise<QueryResult> {
  return db.reading(async (conn) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.interrupt();
    }, limits.timeoutMs);
    try {
      return await runOn(conn, sql, limits);
    } catch (e) {
      if (timedOut) throw new QueryRejected(`query took longer than ${limits.timeoutMs} ms and was stopped`);
      if (e instanceof QueryRejected) throw e;
      // Not the query's fault: the client is told to come back, not that its SQL is wrong.
      if (databaseErrorCode(e) === "out_of_memory") throw asDatabaseError(e, "the database");
      throw new QueryRejected(withoutPaths((e as Error).message, db.path));
    } finally {
      clearTimeout(timer);
    }
  });
}

async function runOn(conn: DuckDBConnection, sql: string, limits: QueryLimits): Promise<QueryResult> {
  const statements = await conn.extractStatements(sql);
  if (statements.count !== 1) {
    throw new QueryRejected(`send exactly one statement (got ${statements.count})`);
  }
  // Checked before DuckDB binds it: binding already reaches for files (and names them in its errors).
  const refused = await refusal(conn, sql);
  if (refused && refused !== "unchecked") throw new QueryRejected(refused);
  await conn.run("BEGIN TRANSACTION READ ONLY");
  try {
    const prepared = await statements.prepare(0);
    try {
      if (!READING.has(prepared.statementType)) {
        const kind = StatementType[prepared.statementType] ?? String(prepared.statementType);
        throw new QueryRejected(
          `only reading statements are allowed (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN); got ${kind}`,
        );
      }
      if (refused === "unchecked") {
        throw new QueryRejected("this statement cannot be checked for what it calls; send a SELECT");
      }
      // Streamed: a result is fetched a chunk at a time and cut at its row or byte cap, never materialized whole.
      const result = await prepared.stream();
      const columns = result.columnNames();
      const rows: unknown[][] = [];
      let truncated = false;
      let bytes = 0;
      const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
      for (
        let chunk = await result.fetchChunk();
        chunk && chunk.rowCount > 0;
        chunk = await result.fetchChunk()
      ) {
        for (const row of chunk.getRows()) {
          if (rows.length >= limits.maxRows || bytes > maxBytes) {
            truncated = true;
            break;
          }
          const values = row.map(plainValue);
          for (const v of values) bytes += typeof v === "string" ? v.length * 2 : 8;
          rows.push(values);
        }
        if (truncated) break;
      }
      return { columns, rows, truncated };
    } finally {
      prepared.destroySync();
    }
  } finally {
    await conn.run("ROLLBACK").catch(() => {});
  }
}
