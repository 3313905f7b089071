/**
 * The database opened under the memory budget, with the gate that admits work against it: glibc's mmap
 * threshold pinned before DuckDB allocates, DuckDB's buffer pool, threads and checkpoints sized from the
 * budget, and DuckDB's cached blocks registered as a relief the gate calls under pressure. The service
 * and `lta ingest` both run their files through it.
 */
import { extname } from "node:path";
import { Database } from "../db/database.ts";
import type { Logger } from "../log.ts";
import { duckdbSettings, memoryBudget, walCheckpointBytes } from "./budget.ts";
import { MemoryGate, registerRelief } from "./gate.ts";
import { pinMmapThreshold } from "./native_heap.ts";
import { ParseProcess } from "../ingest/parse_process.ts";
import type { FileReader } from "../ingest/load.ts";

export interface BudgetedDatabase {
  db: Database;
  gate: MemoryGate;
  budgetBytes: number;
  /**
   * Runs `work` on the file at `path` (`size` bytes) once the gate admits its estimated cost, in the
   * database's exclusive turn, with the Appender flush size for the gate's state; then corrects the
   * estimate for the file's format from the RSS it took. Once the WAL has reached `walCheckpointBytes`, the
   * turn ends with a checkpoint and an eviction. Returns what `work` returned and the wait in ms.
   */
  admitFile<T>(path: string, size: number, work: (flushRows: number) => Promise<T>): Promise<{
    value: T;
    waitedMs: number;
  }>;
  /**
   * Reads a file in the parse process, under a deadline and a memory allowance from this budget;
   * `undefined` with `parseIsolation: thread` (the loader reads in this thread).
   */
  read: FileReader | undefined;
  /** The parse process, when files are read in one. */
  parser: ParseProcess | null;
  /** Unregisters the relief, ends the parse worker and closes the database. */
  close(): Promise<void>;
}

/**
 * The parse process's memory: at most half the budget, and never under 384 MB (a 1,000,000-row workbook's
 * read took the child to ~200 MB, measured). Each read may take what the budget leaves beside the service
 * (less a margin for the 10 ms between looks), but never under 256 MB: at 512 MiB the service and the child
 * together then stay within the budget (they peaked at 554 MB on the hostile corpus with the static
 * allowance alone); below about 450 MB the child still gets 256 MB, so big workbooks are read, and the two
 * together may pass the budget by up to that (docs/memory.md).
 */
const READ_SHARE = 0.5;
const READ_MIN_BYTES = 384e6;
const READ_FLOOR_BYTES = 256e6;
const READ_MARGIN_BYTES = 32e6;
/** Time a read may take: this for any file, plus the per-MB allowance (a 1M-row sheet reads at ~20 MB/s). */
const READ_MS_PER_MB = 2_000;

/** A checkpoint plus an eviction costs tens to hundreds of ms: at most this often. */
const DB_RELIEF_INTERVAL_MS = 1000;

/** Opens `path` under a budget of `budgetMb` (0: from the machine's memory); see `BudgetedDatabase`. */
export async function openBudgetedDatabase(
  path: string,
  budgetMb: number,
  logger: Logger,
  reading: { parseTimeoutSeconds: number; parseIsolation: "process" | "thread" } = {
    parseTimeoutSeconds: 15,
    parseIsolation: "process",
  },
): Promise<BudgetedDatabase> {
  const budgetBytes = memoryBudget(budgetMb, Deno.systemMemoryInfo().total);
  pinMmapThreshold();
  const gate = loggedGate(budgetBytes, logger);
  const parser = reading.parseIsolation === "process"
    ? new ParseProcess({
      baseTimeoutMs: reading.parseTimeoutSeconds * 1000,
      timeoutMsPerMb: READ_MS_PER_MB,
      maxRssBytes: Math.max(READ_MIN_BYTES, budgetBytes * READ_SHARE),
      allowance: () => Math.max(READ_FLOOR_BYTES, budgetBytes - Deno.memoryUsage().rss - READ_MARGIN_BYTES),
    })
    : null;
  let db: Database;
  try {
    db = await Database.open(path, duckdbSettings(budgetBytes));
  } catch (e) {
    await parser?.close();
    throw e;
  }
  const unregister = registerDuckdbRelief(db, logger);
  return {
    db,
    gate,
    budgetBytes,
    read: parser?.read,
    parser,
    admitFile: fileAdmission(db, gate, walCheckpointBytes(budgetBytes)),
    async close() {
      unregister();
      await parser?.close();
      await db.exclusive(async () => {});
      try {
        db.close();
      } catch { /* an invalidated database may refuse to close; the process ends anyway */ }
    },
  };
}

/** The gate for `budgetBytes`, each change of state a log line. */
function loggedGate(budgetBytes: number, logger: Logger): MemoryGate {
  return new MemoryGate({
    budgetBytes,
    onChange: (from, to, sample) =>
      logger.event("memory_state", {
        from,
        to,
        rss_mb: Math.round(sample.rss / 1e6),
        budget_mb: Math.round(budgetBytes / 1e6),
      }, to === "ok" ? "info" : "warn"),
  });
}

/** DuckDB's cached blocks as a relief the gate may call under pressure; returns the unregistering call. */
function registerDuckdbRelief(db: Database, logger: Logger): () => void {
  let reliefAt = -Infinity;
  return registerRelief("duckdb buffer pool", async (urgent) => {
    if (!urgent && performance.now() - reliefAt < DB_RELIEF_INTERVAL_MS) return;
    reliefAt = performance.now();
    try {
      const freed = await db.exclusive(() => db.releaseMemory());
      logger.event("memory_relief", {
        duckdb_freed_mb: Math.round(freed / 1e6),
        ms: Math.round(performance.now() - reliefAt),
      });
    } catch (e) {
      logger.event("memory_relief_failed", { error: (e as Error).message }, "warn");
    }
  });
}

/** `BudgetedDatabase.admitFile` for this database and gate. */
function fileAdmission(
  db: Database,
  gate: MemoryGate,
  checkpointBytes: number,
): BudgetedDatabase["admitFile"] {
  return async (path, size, work) => {
    const format = extname(path).slice(1).toLowerCase();
    const waitedMs = await gate.admit(gate.estimate(format, size));
    const rssBefore = gate.last.rss;
    const value = await db.exclusive(async () => {
      const value = await work(gate.batchSizes().flushRows);
      if (db.walBytes() >= checkpointBytes) await db.releaseMemory();
      return value;
    });
    gate.observe(format, size, gate.sample().rss - rssBefore);
    return { value, waitedMs };
  };
}
