/**
 * The one place that owns DuckDB handles: open a database file with lta's settings, apply the schema,
 * and close it deterministically.
 */
import type {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBPreparedStatement,
} from "@duckdb/node-api";
import { sqlString } from "./values.ts";
import { asDatabaseError, databaseErrorCode } from "./errors.ts";
import { walPath } from "./sidecars.ts";
import { dirname } from "node:path";
import { type BindParam, bindParam, Connection, plainRows } from "./connection.ts";
import { CATALOG, type DatabaseOptions, DEFAULT_MEMORY_LIMIT, startInstance } from "./instance.ts";
import { migrate, schemaVersion } from "./migrations.ts";

export { type BindParam, Connection, type Queryable, type ResultChunk } from "./connection.ts";
export type { DatabaseOptions } from "./instance.ts";
export { SCHEMA_VERSION } from "./migrations.ts";

/** Runs `work` on a fresh connection to `db`, closed afterwards. */
export function withConnection<T>(db: Database, work: (c: Connection) => Promise<T>): Promise<T> {
  return db.reading((conn) => work(new Connection(conn)));
}

/** An open lta database: one instance and its main connection, closed together. */
export class Database extends Connection {
  private constructor(
    readonly path: string,
    private readonly options: DatabaseOptions,
    private instance: DuckDBInstance,
    conn: DuckDBConnection,
    private attached: boolean,
  ) {
    super(conn);
  }

  /** Reading connections open now (`reading`); a reopen waits for them. */
  #readers = 0;
  /** Set while the cache eviction holds DuckDB's memory limit at 1 MB. */
  #evicting: Promise<void> | null = null;
  /** While the file is being reopened: new readers wait for it. */
  #reopening: Promise<void> | null = null;

  /**
   * Opens (creating if needed) the database file at `path` and brings its schema up to date. The file is
   * attached to an in-memory instance rather than opened as its main database, because only ATTACH takes
   * a row-group size and DuckDB does not keep it in the file (see ROW_GROUP_ROWS).
   */
  static async open(path: string, options: DatabaseOptions = {}): Promise<Database> {
    const file = path !== ":memory:";
    if (file) await Deno.mkdir(dirname(path), { recursive: true });
    const { instance, conn } = await startInstance(path, options);
    const db = new Database(path, options, instance, conn, file);
    try {
      if (!options.noSchema) {
        const version = await schemaVersion(db, path);
        if (!options.readOnly) {
          db.openedAtVersion = version;
          await migrate(db.conn, version);
        }
      }
    } catch (e) {
      db.close();
      // A failure while migrating is the file's (damaged, read-only, full): said as such, with its remedy.
      throw asDatabaseError(e, path);
    }
    return db;
  }

  /**
   * Runs `work` on a further connection to the same database (its own transactions), closed afterwards.
   * While the file is being reopened, or the cache evicted, it waits.
   */
  async reading<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    while (this.#reopening || this.#evicting) await (this.#reopening ?? this.#evicting);
    this.#readers++;
    try {
      const conn = await this.instance.connect();
      try {
        // A new connection starts in the instance's in-memory catalog.
        if (this.attached) await conn.run(`USE ${CATALOG}`);
        return await work(conn);
      } finally {
        conn.closeSync();
      }
    } catch (e) {
      // Out of memory is the moment's, not the request's: typed, so the HTTP layer answers 503, not 500.
      // Other failures stay as DuckDB said them (a write in a read-only query is the query's fault: 400).
      throw databaseErrorCode(e) === "out_of_memory" ? asDatabaseError(e, this.path) : e;
    } finally {
      this.#readers--;
    }
  }

  /**
   * Closes the DuckDB instance and attaches the file afresh, in this same object. A process that has
   * appended for hours holds in memory the storage metadata of everything it wrote, which a fresh open
   * loads only when read: 2,000 typical files left 8 MB that a reopen (about 0.1 s) handed back, measured
   * in docs/memory.md. Call it in the exclusive turn; readers in flight finish first, new ones wait.
   */
  async reopen(): Promise<void> {
    let done!: () => void;
    this.#reopening = new Promise((resolve) => (done = resolve));
    try {
      while (this.#readers > 0) await new Promise((r) => setTimeout(r, 5));
      this.#closeHandles();
      ({ instance: this.instance, conn: this.conn } = await startInstance(this.path, this.options));
    } finally {
      this.#reopening = null;
      done();
    }
  }

  /** The version the database had when this process opened it (`null`: created now). */
  openedAtVersion: number | null = null;

  #queue: Promise<unknown> = Promise.resolve();

  /**
   * Runs `work` when no other exclusive work is running. One connection carries one transaction at a
   * time, so the ingest loop and scheduled jobs take turns through here.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.then(() => {}, () => {});
    return run;
  }

  /** Whether the main connection is inside `transaction` now. */
  #inTransaction = false;

  /** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.conn.run("BEGIN TRANSACTION");
    this.#inTransaction = true;
    try {
      const result = await work();
      await this.conn.run("COMMIT");
      return result;
    } catch (e) {
      // Rows an appender holds unflushed belong to the failed work: they must not reach a later commit.
      this.#dropAppenders();
      await this.conn.run("ROLLBACK").catch(() => {});
      throw asDatabaseError(e, this.path);
    } finally {
      this.#inTransaction = false;
    }
  }

  #appenders = new Map<string, DuckDBAppender>();
  #statements = new Map<string, DuckDBPreparedStatement>();

  /**
   * Rows of `sql`, run as a statement prepared once for the life of the database, its parameters bound
   * by type. `conn.run(sql, params)` prepares anew and makes a DuckDB value object per parameter, and
   * under Deno each such object's native memory stays behind (~100 bytes a parameter, measured). For the
   * statements every file runs; `sql` must be a constant, since each distinct text is kept.
   */
  async rowsOf(sql: string, params: readonly BindParam[]): Promise<Record<string, unknown>[]> {
    return plainRows(await (await this.#kept(sql, params)).run());
  }

  /**
   * Runs `sql` like `rowsOf` without reading a row back; returns the rows it changed. A statement whose
   * result is read leaves four more N-API objects behind than one that is only run (5 against 1, counted
   * with heaptrack), and Deno never frees their bookkeeping.
   */
  async execOf(sql: string, params: readonly BindParam[]): Promise<number> {
    return (await (await this.#kept(sql, params)).run()).rowsChanged;
  }

  /** The statement prepared once for `sql`, its parameters bound. */
  async #kept(sql: string, params: readonly BindParam[]): Promise<DuckDBPreparedStatement> {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, statement = await this.conn.prepare(sql));
    params.forEach((p, i) => bindParam(statement, i + 1, p));
    return statement;
  }

  /**
   * The main connection's appender for `table`, kept open for the life of the database: its rows join
   * the connection's open transaction at each `flushSync()`. Creating and closing an appender per file
   * left about 2–6 KB of native memory behind each time (measured with `@duckdb/node-api` 1.5 alone), the
   * largest part of a long backlog's growth. Callers flush before their transaction commits and never
   * close it.
   */
  async appender(table: string): Promise<DuckDBAppender> {
    let appender = this.#appenders.get(table);
    if (!appender) this.#appenders.set(table, appender = await this.conn.createAppender(table));
    return appender;
  }

  /** Discards what the appenders hold (closing one would flush it) and closes them. */
  #dropAppenders(): void {
    for (const appender of this.#appenders.values()) {
      try {
        appender.clear();
        appender.closeSync();
      } catch { /* an appender whose flush failed is unusable; it goes either way */ }
    }
    this.#appenders.clear();
  }

  /** Folds the write-ahead log into the database file. */
  async checkpoint(): Promise<void> {
    await this.conn.run("CHECKPOINT");
  }

  /** The size of the database's write-ahead log (0 when there is none: in memory, or just checkpointed). */
  walBytes(): number {
    if (!this.attached) return 0;
    try {
      return Deno.statSync(walPath(this.path)).size;
    } catch {
      return 0;
    }
  }

  /**
   * Hands DuckDB's cached blocks back. Its buffer pool keeps every block it has touched until it reaches
   * `memory_limit`, and during ingest nothing reads them again; lowering the limit makes DuckDB evict down
   * to it at once, so the limit is dropped to nearly nothing and restored. A checkpoint first turns the
   * rows still held for the WAL into blocks that can be evicted. Returns the bytes DuckDB freed by its own
   * count. Call it between transactions (under `exclusive`).
   */
  async releaseMemory(): Promise<number> {
    const used = async () =>
      Number(
        (await this.rowsOf("SELECT sum(memory_usage_bytes)::BIGINT AS b FROM duckdb_memory()", []))[0].b,
      );
    const before = await used();
    await this.conn.run("CHECKPOINT");
    await this.evictCache();
    return before - await used();
  }

  /**
   * Evicts DuckDB's unpinned blocks without a checkpoint, so also inside a transaction: a big file's
   * points, already written out by DuckDB, need not stay cached while its tracks are analysed. The limit
   * is global, so it is set on a connection of its own: a `SET memory_limit` that DuckDB refuses (more
   * than 1 MB pinned) on the main connection aborted the file's transaction, which failed every file of
   * 100,000 points in the service ("Current transaction is aborted").
   */
  async evictCache(): Promise<void> {
    // Readers at work need the memory, and under 200 of them the statement restoring the limit failed
    // for want of it: the limit stayed at 1 MB and every load and read after it failed (measured).
    if (this.#readers > 0 || this.#evicting) return;
    // New readers wait until the limit is back: one that started meanwhile failed with "Out of Memory
    // (1.2 MiB/976.5 KiB used)" under 200 clients (measured).
    let done!: () => void;
    this.#evicting = new Promise((resolve) => (done = resolve));
    // lta alone sets the limit, at open: read back from DuckDB, it cost a result and its chunk each time.
    const limit = this.options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    try {
      const conn = this.#inTransaction ? await this.instance.connect() : this.conn;
      try {
        try {
          await conn.run("SET GLOBAL memory_limit = '1MB'");
        } catch {
          // Pinned blocks (indexes, open results) exceed 1 MB: DuckDB has evicted everything else already.
        }
      } finally {
        await this.#restoreLimit(conn, limit);
        if (conn !== this.conn) conn.closeSync();
      }
    } finally {
      this.#evicting = null;
      done();
    }
  }

  /** Sets the memory limit back, retrying: a limit left at 1 MB would fail everything after it. */
  async #restoreLimit(conn: DuckDBConnection, limit: string): Promise<void> {
    for (let attempt = 1;; attempt++) {
      try {
        await conn.run(`SET GLOBAL memory_limit = ${sqlString(limit)}`);
        return;
      } catch (e) {
        if (attempt >= 50) throw asDatabaseError(e, this.path);
        await new Promise((r) => setTimeout(r, 10 * attempt));
      }
    }
  }

  override close(): void {
    this.#closeHandles();
  }

  #closeHandles(): void {
    this.#dropAppenders();
    for (const statement of this.#statements.values()) statement.destroySync();
    this.#statements.clear();
    super.close();
    this.instance.closeSync();
  }
}
