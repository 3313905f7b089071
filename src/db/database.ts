/**
 * The one place that owns DuckDB handles: open a database file with lta's settings, apply the schema,
 * and close it deterministically.
 */
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import { dirname } from "node:path";

/** The schema version this build writes; a database with a newer one is refused. */
export const SCHEMA_VERSION = 1;

const SCHEMA_FILES = ["schema.sql", "analysis.sql"];
const DEFAULT_MEMORY_LIMIT = "256MB";

export interface DatabaseOptions {
  /** DuckDB `memory_limit`, e.g. `"256MB"` (the default). */
  memoryLimit?: string;
  threads?: number;
}

/** An open lta database: one instance, one connection, closed together. */
export class Database {
  private constructor(
    readonly path: string,
    private instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  /** Opens (creating if needed) the database file at `path` and brings its schema up to date. */
  static async open(path: string, options: DatabaseOptions = {}): Promise<Database> {
    if (path !== ":memory:") await Deno.mkdir(dirname(path), { recursive: true });
    const config: Record<string, string> = {
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    };
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
      await db.migrate();
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  private async migrate(): Promise<void> {
    const exists = await this.value(
      "SELECT count(*) FROM information_schema.tables WHERE table_name = 'lta_meta' AND table_schema = 'main'",
    );
    if (Number(exists) > 0) {
      const version = Number(
        await this.value("SELECT value FROM lta_meta WHERE key = 'schema_version'") ?? 0,
      );
      if (version > SCHEMA_VERSION) {
        throw new Error(
          `${this.path} has schema version ${version}, newer than this lta (${SCHEMA_VERSION}); upgrade lta to open it`,
        );
      }
    }
    await this.conn.run("BEGIN TRANSACTION");
    try {
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

  /** The first column of the first row of `sql`, or `null`. */
  async value(sql: string, params: DuckDBValue[] = []): Promise<DuckDBValue> {
    const reader = await this.conn.runAndReadAll(sql, params);
    return reader.getRows()[0]?.[0] ?? null;
  }

  /** All rows of `sql` as objects with JS values (BIGINT as number when it fits, timestamps as ISO text). */
  async rows(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    const reader = await this.conn.runAndReadAll(sql, params);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
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

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
