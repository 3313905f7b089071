/**
 * User SQL, safely: exactly one statement, of a reading type as DuckDB itself classifies it (SELECT, which
 * covers WITH/DESCRIBE/SHOW/SUMMARIZE/FROM, or EXPLAIN), run in a READ ONLY transaction on its own
 * connection of an instance that cannot reach the file system, with a row cap and a time limit.
 */
import { type DuckDBConnection, StatementType } from "@duckdb/node-api";
import type { Database } from "./database.ts";
import { plainValue } from "./values.ts";

export interface QueryLimits {
  maxRows: number;
  timeoutMs: number;
}

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
      throw new QueryRejected((e as Error).message);
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
      const result = await prepared.run();
      const columns = result.columnNames();
      const rows: unknown[][] = [];
      let truncated = false;
      for (
        let chunk = await result.fetchChunk();
        chunk && chunk.rowCount > 0;
        chunk = await result.fetchChunk()
      ) {
        for (const row of chunk.getRows()) {
          if (rows.length >= limits.maxRows) {
            truncated = true;
            break;
          }
          rows.push(row.map(plainValue));
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
