/**
 * The one place that owns DuckDB handles: open a database file with lta's settings, apply the schema,
 * and close it deterministically.
 */
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBMaterializedResult,
  type DuckDBPreparedStatement,
  type DuckDBValue,
} from "@duckdb/node-api";
import { plainValue, sqlString } from "./values.ts";
import { asDatabaseError, databaseError } from "./errors.ts";
import { dirname } from "node:path";

/** The schema version this build writes; a database with a newer one is refused. */
export const SCHEMA_VERSION = 2;

const SCHEMA_FILES = ["schema.sql", "analysis.sql", "spc.sql", "final_test.sql", "final_test_views.sql"];

/**
 * Steps that bring an older database up to the next version, keyed by the version they produce. They run
 * before the schema files (which only create what is missing), inside the same transaction.
 */
const MIGRATIONS: Record<number, string> = {
  // 2: Final Test files share the ledger; every file loaded before them was a trim file.
  // DuckDB alters no table that an index depends on (schema.sql recreates them), and adds a column without
  // constraints: NOT NULL follows once the default has filled it.
  2: `DROP INDEX IF EXISTS files_sha256;
      DROP INDEX IF EXISTS files_file_name;
      ALTER TABLE files ADD COLUMN IF NOT EXISTS kind VARCHAR DEFAULT 'trim';
      ALTER TABLE files ALTER COLUMN kind SET NOT NULL;`,
};
const DEFAULT_MEMORY_LIMIT = "256MB";
/**
 * DuckDB's storage block for new files: 16 KB instead of 256 KB. After each checkpoint the first append to
 * a table opens a block per column (and per validity mask), and the ~170 columns one trim file writes to
 * then pinned 45 MB until the next checkpoint; at 16 KB, 6.5 MB. Files are ~1.5× larger on disk
 * (measured in docs/memory.md).
 */
const BLOCK_SIZE = 16_384;
/**
 * Rows per row group, instead of 122,880. A checkpoint rewrites each table's last, partly filled row group
 * whole: with DuckDB's default a backlog's checkpoints peaked at +64 MB, at 16,384 rows under +10 MB. At
 * 8,192 the rewrite of a wide table's last group (`tracks`, ~50 columns) stays small as it fills: a 10,000-file
 * backlog peaked at 208 MB instead of 235, a 1,000,000-row workbook at 251 MB instead of 277 (measured in
 * docs/memory.md); 4,096 and 2,048 raised the floor instead.
 */
const ROW_GROUP_ROWS = 8_192;
/**
 * The storage format the file is written in. DuckDB writes files readable by v1.0 unless told otherwise,
 * and in that format a checkpoint cannot reuse an unchanged row group's metadata: it deserializes every
 * column segment of every row group of each table it writes, and they stay loaded. On a 10,000-file
 * database that was 12 MB more C heap after the second checkpoint, growing with the database; with this
 * format it stays flat (measured in docs/memory.md). The first checkpoint after opening upgrades an older
 * file in place; DuckDB before 1.5 can then no longer open it (lta ships its own DuckDB).
 */
const STORAGE_VERSION = "v1.5.0";
/** The name the database file is attached under. */
const CATALOG = "lta";

export interface DatabaseOptions {
  /** Open without write access (a viewer while no service holds the file). */
  readOnly?: boolean;
  /**
   * Let SQL reach the file system (`COPY`, `read_csv`, `ATTACH`…). Off by default: lta reads workbooks in
   * TypeScript and never needs it, and user queries then cannot reach files either.
   */
  externalAccess?: boolean;
  /** DuckDB `memory_limit`, e.g. `"256MB"` (the default). */
  memoryLimit?: string;
  threads?: number;
  /** DuckDB `checkpoint_threshold`: the WAL size that triggers a checkpoint (DuckDB's default: 16MB). */
  checkpointThreshold?: string;
  /** Where DuckDB spills when a query needs more than `memoryLimit` (default: `<db>.tmp`). */
  tempDirectory?: string;
  /** The most DuckDB may spill there (`max_temp_directory_size`, e.g. `"4096MB"`). */
  maxTempDirectorySize?: string;
  /** Leave the schema alone: a scratch database whose relations the caller defines (the lake's views). */
  noSchema?: boolean;
}

function plainRows(result: DuckDBMaterializedResult): Record<string, unknown>[] {
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

function bindParam(statement: DuckDBPreparedStatement, index: number, p: BindParam): void {
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

  close(): void {
    this.conn.closeSync();
  }
}

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
    const { instance, conn } = await Database.#start(path, options);
    const db = new Database(path, options, instance, conn, file);
    try {
      if (!options.noSchema) {
        if (options.readOnly) await db.checkVersion();
        else await db.migrate();
      }
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  /** A DuckDB instance with lta's settings and its main connection, the file attached and in use. */
  static async #start(
    path: string,
    options: DatabaseOptions,
  ): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
    const file = path !== ":memory:";
    const config: Record<string, string> = {
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
      // DuckDB's default (80% of RAM) would let its buffer pool crowd out everything else on a plant PC.
      memory_limit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      // Only a file created now takes it; an existing file keeps the block size it was made with.
      default_block_size: String(BLOCK_SIZE),
    };
    if (options.tempDirectory) config.temp_directory = options.tempDirectory;
    else if (file && !options.readOnly) config.temp_directory = `${path}.tmp`;
    if (options.threads) config.threads = String(options.threads);
    if (options.checkpointThreshold) config.checkpoint_threshold = options.checkpointThreshold;
    if (options.maxTempDirectorySize) config.max_temp_directory_size = options.maxTempDirectorySize;

    const instance = await DuckDBInstance.create(":memory:", config);
    const conn = await instance.connect();
    try {
      if (file) {
        const attach = [
          `ROW_GROUP_SIZE ${ROW_GROUP_ROWS}`,
          ...(options.readOnly ? ["READ_ONLY"] : [`STORAGE_VERSION ${sqlString(STORAGE_VERSION)}`]),
        ];
        try {
          await conn.run(`ATTACH ${sqlString(path)} AS ${CATALOG} (${attach.join(", ")})`);
        } catch (e) {
          throw asDatabaseError(e, path);
        }
        await conn.run(`USE ${CATALOG}`);
      }
      // Once the file is attached: with external access off, DuckDB refuses ATTACH like any file access.
      if (!options.externalAccess) await conn.run("SET enable_external_access = false");
    } catch (e) {
      conn.closeSync();
      instance.closeSync();
      throw e;
    }
    return { instance, conn };
  }

  /**
   * Runs `work` on a further connection to the same database (its own transactions), closed afterwards.
   * While the file is being reopened, it waits.
   */
  async reading<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    while (this.#reopening) await this.#reopening;
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
      ({ instance: this.instance, conn: this.conn } = await Database.#start(this.path, this.options));
    } finally {
      this.#reopening = null;
      done();
    }
  }

  /** The database's schema version (`null` for a new, empty file); refuses one newer than this build. */
  private async checkVersion(): Promise<number | null> {
    const exists = await this.value(
      "SELECT count(*) FROM information_schema.tables WHERE table_name = 'lta_meta' AND table_schema = 'main'",
    );
    if (Number(exists) === 0) return null;
    const version = Number(await this.value("SELECT value FROM lta_meta WHERE key = 'schema_version'") ?? 0);
    if (version > SCHEMA_VERSION) {
      throw databaseError(
        "schema_too_new",
        this.path,
        `schema version ${version}, newer than this lta (${SCHEMA_VERSION}); upgrade lta to open it`,
      );
    }
    return version;
  }

  /** The version the database had when this process opened it (`null`: created now). */
  openedAtVersion: number | null = null;

  private async migrate(): Promise<void> {
    const version = await this.checkVersion();
    this.openedAtVersion = version;
    await this.conn.run("BEGIN TRANSACTION");
    try {
      // All or nothing: a failed step leaves the database at its old version, readable by the old lta.
      for (let v = (version ?? SCHEMA_VERSION) + 1; v <= SCHEMA_VERSION; v++) {
        if (MIGRATIONS[v]) await this.conn.run(MIGRATIONS[v]);
      }
      for (const file of SCHEMA_FILES) {
        await this.conn.run(await Deno.readTextFile(new URL(file, import.meta.url)));
      }
      await this.conn.run(
        "INSERT OR REPLACE INTO lta_meta VALUES ('schema_version', $1)",
        [String(SCHEMA_VERSION)],
      );
      await this.conn.run("COMMIT");
    } catch (e) {
      await this.conn.run("ROLLBACK");
      throw e;
    }
  }

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
      return Deno.statSync(`${this.path}.wal`).size;
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
    if (this.#readers > 0) return;
    // lta alone sets the limit, at open: read back from DuckDB, it cost a result and its chunk each time.
    const limit = this.options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
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
