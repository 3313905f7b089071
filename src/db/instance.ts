/**
 * A DuckDB instance with lta's settings: the file attached (so it takes a row-group size) with its block
 * size and storage format, extensions never installed, memory and spill bounded. The measurements behind
 * each constant are in docs/memory.md.
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { sqlString } from "./values.ts";
import { asDatabaseError } from "./errors.ts";

export const DEFAULT_MEMORY_LIMIT = "256MB";
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
export const CATALOG = "lta";

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

/** A DuckDB instance with lta's settings and its main connection, the file attached and in use. */
export async function startInstance(
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
    // Load times (`now()::TIMESTAMP`) are stored in UTC whatever the machine's zone; pages show them in the
    // configured time zone. (Test dates are the station's wall clock, untouched.) ICU's setting: not known
    // before the instance exists.
    await conn.run("SET GLOBAL TimeZone = 'UTC'");
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
