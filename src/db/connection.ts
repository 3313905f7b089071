/**
 * Running SQL on one DuckDB connection: parameters bound by type, results as plain rows, one value, or
 * chunk by chunk. Only `src/db` holds connections; the rest of lta calls these methods.
 */
import type {
  DuckDBConnection,
  DuckDBMaterializedResult,
  DuckDBPreparedStatement,
  DuckDBResult,
  DuckDBValue,
} from "@duckdb/node-api";
import { plainValue } from "./values.ts";

export function plainRows(result: DuckDBMaterializedResult): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  // The result says how many rows it holds: none costs no chunk, and the last chunk is not followed by a
  // fetch of an empty one. Each chunk, and each column read from it, is one more N-API object.
  if (result.rowCount === 0) return rows;
  const columns = result.columnNames();
  for (let c = 0; c < result.chunkCount; c++) {
    for (const row of result.getChunk(c).getRows()) {
      rows.push(Object.fromEntries(row.map((v, i) => [columns[i], plainValue(v)])));
    }
  }
  return rows;
}

/**
 * `sql` run to a materialized result. With parameters, the statement is prepared alone and each one bound
 * as node-api would type it, but without the DuckDB value object (and the statement extraction) node-api
 * makes for every `conn.run(sql, params)`: Deno never frees their N-API bookkeeping (docs/memory.md).
 */
async function materialized(
  conn: DuckDBConnection,
  sql: string,
  params: readonly DuckDBValue[],
): Promise<DuckDBMaterializedResult> {
  if (params.length === 0) return await conn.run(sql);
  const statement = await conn.prepare(sql);
  try {
    params.forEach((p, i) => bindAsNodeApi(statement, i + 1, p));
    return await statement.run();
  } finally {
    statement.destroySync();
  }
}

/** Binds `p` with the type node-api's `typeForValue` gives it; only other DuckDB values make a value object. */
function bindAsNodeApi(statement: DuckDBPreparedStatement, index: number, p: DuckDBValue): void {
  if (p === null) statement.bindNull(index);
  else if (typeof p === "string") statement.bindVarchar(index, p);
  else if (typeof p === "boolean") statement.bindBoolean(index, p);
  else if (typeof p === "bigint") statement.bindHugeInt(index, p);
  else if (typeof p !== "number") statement.bindValue(index, p);
  else if (!Number.isInteger(p)) statement.bindDouble(index, p);
  else if (p >= -2_147_483_648 && p <= 2_147_483_647) statement.bindInteger(index, p);
  // A whole double past 2^53 (1e308 is one) is a measurement, not a count: as BIGINT it overflowed int64.
  else if (Number.isSafeInteger(p)) statement.bindBigInt(index, BigInt(p));
  else statement.bindDouble(index, p);
}

/** A parameter that binds without a DuckDB value object: text, a number, a bigint, a boolean or null. */
export type BindParam = string | number | bigint | boolean | null;

export function bindParam(statement: DuckDBPreparedStatement, index: number, p: BindParam): void {
  if (p === null) statement.bindNull(index);
  else if (typeof p === "string") statement.bindVarchar(index, p);
  else if (typeof p === "boolean") statement.bindBoolean(index, p);
  else if (typeof p === "bigint") statement.bindBigInt(index, p);
  else if (Number.isSafeInteger(p)) statement.bindBigInt(index, BigInt(p));
  else statement.bindDouble(index, p);
}

/** Something to run SQL on: the database's main connection, or a separate reading connection. */
export interface Queryable {
  readonly conn: DuckDBConnection;
  value(sql: string, params?: DuckDBValue[]): Promise<DuckDBValue>;
  rows(sql: string, params?: DuckDBValue[]): Promise<Record<string, unknown>[]>;
  /** Runs `sql` without reading a row back; returns the rows it changed. */
  exec(sql: string, params?: DuckDBValue[]): Promise<number>;
  /** Hands `sql`'s result to `each` one chunk at a time (see `Connection.eachChunk`). */
  eachChunk(
    sql: string,
    params: DuckDBValue[],
    each: (chunk: ResultChunk) => void | Promise<void>,
  ): Promise<void>;
}

/** One chunk of a result: its rows, its columns' names, and each column's values read by row. */
export interface ResultChunk {
  readonly rowCount: number;
  readonly columnNames: readonly string[];
  column(index: number): { getItem(row: number): DuckDBValue };
}

/** A connection of its own (for readers beside the writer): MVCC gives it committed data only. */
export class Connection implements Queryable {
  /** Replaced only when a `Database` reopens its file. */
  constructor(public conn: DuckDBConnection) {}

  /** The first column of the first row of `sql`, or `null`. */
  async value(sql: string, params: DuckDBValue[] = []): Promise<DuckDBValue> {
    const result = await materialized(this.conn, sql, params);
    // Only the first column's vector is read: each one converted is another N-API object.
    return result.rowCount === 0 ? null : result.getChunk(0).getColumnVector(0).getItem(0);
  }

  /** All rows of `sql` as objects with plain JS values (see `plainValue`). */
  async rows(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return plainRows(await materialized(this.conn, sql, params));
  }

  async exec(sql: string, params: DuckDBValue[] = []): Promise<number> {
    return (await materialized(this.conn, sql, params)).rowsChanged;
  }

  /**
   * Hands the result of `sql` to `each` chunk by chunk, its columns read by index. Converting whole rows to
   * JS objects cost several times the query on wide reads (analysis batches, chart points), and each
   * column vector read is one more N-API object, so callers read only the columns they use.
   */
  async eachChunk(
    sql: string,
    params: DuckDBValue[],
    each: (chunk: ResultChunk) => void | Promise<void>,
  ): Promise<void> {
    await readChunks(await materialized(this.conn, sql, params), each);
  }

  /**
   * `eachChunk` for a statement without parameters whose result DuckDB produces as it is fetched, never
   * materialized whole (the ledger's known files). A prepared statement cannot be freed while its stream is
   * read, so parameters would leave one behind.
   */
  async eachChunkStreamed(sql: string, each: (chunk: ResultChunk) => void | Promise<void>): Promise<void> {
    await readChunks(await this.conn.stream(sql), each);
  }

  close(): void {
    this.conn.closeSync();
  }
}

/** Every non-empty chunk of `result`, in order. */
async function readChunks(
  result: DuckDBResult,
  each: (chunk: ResultChunk) => void | Promise<void>,
): Promise<void> {
  const columnNames = result.columnNames();
  for (
    let chunk = await result.fetchChunk();
    chunk && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    const data = chunk;
    await each({ rowCount: data.rowCount, columnNames, column: (i) => data.getColumnVector(i) });
  }
}
