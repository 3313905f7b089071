/**
 * The one place that owns DuckDB handles: open a database file with lta's settings, apply the schema,
 * and close it deterministically.
 */
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBResultReader,
  type DuckDBValue,
} from "@duckdb/node-api";
import { plainValue } from "./values.ts";
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
  /** Where DuckDB spills when a query needs more than `memoryLimit` (default: `<db>.tmp`). */
  tempDirectory?: string;
  /** Leave the schema alone: a scratch database whose relations the caller defines (the lake's views). */
  noSchema?: boolean;
}

function plainRows(reader: DuckDBResultReader): Record<string, unknown>[] {
  const columns = reader.columnNames();
  return reader.getRows().map((row) => Object.fromEntries(row.map((v, i) => [columns[i], plainValue(v)])));
}

/** Something to run SQL on: the database's main connection, or a separate reading connection. */
export interface Queryable {
  readonly conn: DuckDBConnection;
  value(sql: string, params?: DuckDBValue[]): Promise<DuckDBValue>;
  rows(sql: string, params?: DuckDBValue[]): Promise<Record<string, unknown>[]>;
}

/** A connection of its own (for readers beside the writer): MVCC gives it committed data only. */
export class Connection implements Queryable {
  constructor(readonly conn: DuckDBConnection) {}

  /** The first column of the first row of `sql`, or `null`. */
  async value(sql: string, params: DuckDBValue[] = []): Promise<DuckDBValue> {
    return (await this.conn.runAndReadAll(sql, params)).getRows()[0]?.[0] ?? null;
  }

  /** All rows of `sql` as objects with plain JS values (see `plainValue`). */
  async rows(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return plainRows(await this.conn.runAndReadAll(sql, params));
  }

  close(): void {
    this.conn.closeSync();
  }
}

/** Runs `work` on a fresh connection to `db`, closed afterwards. */
export async function withConnection<T>(db: Database, work: (c: Connection) => Promise<T>): Promise<T> {
  const c = new Connection(await db.connect());
  try {
    return await work(c);
  } finally {
    c.close();
  }
}

/** An open lta database: one instance and its main connection, closed together. */
export class Database extends Connection {
  private constructor(
    readonly path: string,
    private instance: DuckDBInstance,
    conn: DuckDBConnection,
  ) {
    super(conn);
  }

  /** Opens (creating if needed) the database file at `path` and brings its schema up to date. */
  static async open(path: string, options: DatabaseOptions = {}): Promise<Database> {
    if (path !== ":memory:") await Deno.mkdir(dirname(path), { recursive: true });
    const config: Record<string, string> = {};
    // Set before external access is switched off, which freezes file-system settings.
    if (options.tempDirectory) config.temp_directory = options.tempDirectory;
    else if (path !== ":memory:" && !options.readOnly) config.temp_directory = `${path}.tmp`;
    Object.assign(config, {
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
      enable_external_access: options.externalAccess ? "true" : "false",
    });
    if (options.readOnly) config.access_mode = "READ_ONLY";
    // DuckDB's default (80% of RAM) would let its buffer pool crowd out everything else on a plant PC.
    config.memory_limit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    if (options.threads) config.threads = String(options.threads);

    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (e) {
      const msg = (e as Error).message;
      if (/lock/i.test(msg)) {
        throw new Error(`${path} is open in another process (DuckDB allows one writer); ${msg}`);
      }
      throw e;
    }
    const conn = await instance.connect();
    const db = new Database(path, instance, conn);
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

  /** A further connection to the same database (its own transactions, closed by the caller). */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** The database's schema version (`null` for a new, empty file); refuses one newer than this build. */
  private async checkVersion(): Promise<number | null> {
    const exists = await this.value(
      "SELECT count(*) FROM information_schema.tables WHERE table_name = 'lta_meta' AND table_schema = 'main'",
    );
    if (Number(exists) === 0) return null;
    const version = Number(await this.value("SELECT value FROM lta_meta WHERE key = 'schema_version'") ?? 0);
    if (version > SCHEMA_VERSION) {
      throw new Error(
        `${this.path} has schema version ${version}, newer than this lta (${SCHEMA_VERSION}); upgrade lta to open it`,
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

  /** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.conn.run("BEGIN TRANSACTION");
    try {
      const result = await work();
      await this.conn.run("COMMIT");
      return result;
    } catch (e) {
      await this.conn.run("ROLLBACK").catch(() => {});
      throw e;
    }
  }

  override close(): void {
    super.close();
    this.instance.closeSync();
  }
}
