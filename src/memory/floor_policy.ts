/**
 * When the service reopens its database or recycles itself: every so many files it runs every relief and
 * samples RSS (its floor); a floor that has risen over the lowest one by a share of the budget reopens the
 * database, and one still risen after that ends the process for its manager to restart. The measurements
 * behind each constant are in docs/memory.md ("Reopening and recycling").
 */
import type { Database } from "../db/database.ts";
import type { Logger } from "../log.ts";
import type { MemoryGate } from "./gate.ts";

/** The exit code of a recycling service (EX_TEMPFAIL): its manager restarts it, `--once` runs are rerun. */
export const RECYCLE_EXIT_CODE = 75;

/**
 * When to recycle (tests shorten it): reliefs in a row left above pressure, files handled at least, how
 * often the floor is measured (files), by how much of the budget it may rise over the lowest one before
 * the database is reopened (`reopenGrowth`), and by how much after a reopen before the process recycles.
 */
export interface RecycleAfter {
  stuckReliefs: number;
  files: number;
  floorEvery?: number;
  reopenGrowth?: number;
  floorGrowth?: number;
}

/**
 * Reliefs in a row (at most one a second) that left RSS above the pressure threshold: the floor is then
 * measured at once rather than at the next 500th file. Restarting on that alone recycled every 200 files
 * once the database had grown (a fresh process's floor rises with it), which a restart cannot help.
 */
const RECYCLE_AFTER_STUCK_RELIEFS = 10;
/** Files a process handles before stuck reliefs may trigger a floor measurement. */
const RECYCLE_MIN_FILES = 200;
/** Every this many files the floor is measured (a relief with its checkpoint takes 0.1–0.3 s). */
const FLOOR_EVERY_FILES = 500;
/** The floor's rise over the baseline, as a share of the budget, that reopens the database (~0.1 s). */
const REOPEN_FLOOR_GROWTH = 0.02;
/**
 * The rise that, still there after a reopen, recycles the process: memory only its end gives back (Deno's
 * bookkeeping for every N-API external, what glibc keeps). 3% of a 256 MiB budget is 8 MB.
 */
const RECYCLE_FLOOR_GROWTH = 0.03;

export const DEFAULT_RECYCLE_AFTER: RecycleAfter = {
  stuckReliefs: RECYCLE_AFTER_STUCK_RELIEFS,
  files: RECYCLE_MIN_FILES,
};

export class FloorPolicy {
  /** Measure the floor before the next file. */
  due = false;
  /** The process is to end and be restarted. */
  recycled = false;
  #baseline: number | null = null;
  readonly #every: number;
  readonly #reopenGrowth: number;
  readonly #recycleGrowth: number;

  constructor(
    private readonly db: Database,
    private readonly gate: MemoryGate,
    private readonly budget: number,
    private readonly logger: Logger,
    private readonly after: RecycleAfter,
    private readonly onRecycle: () => void,
  ) {
    this.#every = after.floorEvery ?? FLOOR_EVERY_FILES;
    this.#recycleGrowth = (after.floorGrowth ?? RECYCLE_FLOOR_GROWTH) * budget;
    // A reopen comes first, never after the growth that recycles.
    this.#reopenGrowth = Math.min(after.reopenGrowth ?? REOPEN_FLOOR_GROWTH, this.#recycleGrowth / budget) *
      budget;
  }

  /** After each file: is a floor measurement due (every N files, or reliefs that keep failing)? */
  fileDone(handled: number): void {
    // RSS that reliefs keep leaving above pressure: whether a restart would help is the floor's to say.
    if (handled >= this.after.files && this.gate.stuckReliefs >= this.after.stuckReliefs) this.due = true;
    this.due ||= handled % this.#every === 0;
  }

  /** Before the next file: all reliefs, then the floor against the lowest one this process measured. */
  async check(handled: number): Promise<void> {
    this.due = false;
    const floor = await this.gate.measureFloor();
    this.logger.event("memory_floor", {
      rss_mb: mb(floor),
      heap_mb: mb(this.gate.last.heapUsed),
      baseline_mb: this.#baseline === null ? null : mb(this.#baseline),
      files: handled,
    });
    const lowest = this.#baseline;
    this.#baseline = Math.min(lowest ?? floor, floor);
    if (lowest === null || floor - lowest <= this.#reopenGrowth) return;
    const started = performance.now();
    try {
      await this.db.exclusive(() => this.db.reopen());
    } catch (e) {
      // Its handles are closed: only a new process can open the file again.
      this.logger.event("database_reopen_failed", { error: (e as Error).message }, "error");
      return this.#recycle(handled, "reopen_failed");
    }
    const after = await this.gate.measureFloor();
    this.logger.event("database_reopened", {
      floor_mb: mb(floor),
      after_mb: mb(after),
      baseline_mb: mb(lowest),
      ms: Math.round(performance.now() - started),
      files: handled,
    });
    if (after - lowest > this.#recycleGrowth) this.#recycle(handled, "floor_growth");
  }

  #recycle(handled: number, reason: "floor_growth" | "reopen_failed"): void {
    this.recycled = true;
    this.logger.event("recycle", {
      reason,
      rss_mb: mb(this.gate.last.rss),
      floor_mb: mb(this.gate.floorRss),
      baseline_floor_mb: this.#baseline === null ? null : mb(this.#baseline),
      budget_mb: mb(this.budget),
      files: handled,
      exit_code: RECYCLE_EXIT_CODE,
    }, "warn");
    this.onRecycle();
  }
}

const mb = (bytes: number) => Math.round(bytes / 1e6);
