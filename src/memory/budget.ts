/** The memory budget and what follows from it for DuckDB, whose memory is outside the JS heap but in RSS. */

const MB = 1024 * 1024;

/** min(512 MB, 25% of RAM), unless configured. */
export function memoryBudget(configuredMb: number, systemTotal: number): number {
  if (configuredMb > 0) return configuredMb * MB;
  return Math.min(512 * MB, Math.floor(systemTotal * 0.25));
}

/**
 * DuckDB's share: 40% of the budget for its buffer pool (spilling to disk beyond), one thread on small
 * budgets, and a WAL checkpointed every budget/64 (2–16 MB). A checkpoint holds about three times its WAL
 * in memory while it runs, so DuckDB's default 16 MB took a 256 MB service over budget at each one; with a
 * 32 MB buffer pool a 16 MB checkpoint failed outright (a fatal error, measured in docs/memory.md).
 */
export function duckdbSettings(
  budgetBytes: number,
): { memoryLimit: string; threads: number; checkpointThreshold: string; maxTempDirectorySize: string } {
  const limitMb = Math.max(48, Math.floor((budgetBytes * 0.4) / MB));
  const checkpointMb = Math.min(16, Math.max(2, Math.floor(budgetBytes / 64 / MB)));
  return {
    memoryLimit: `${limitMb}MB`,
    threads: budgetBytes < 384 * MB ? 1 : 2,
    checkpointThreshold: `${checkpointMb}MB`,
    // What a query may spill: 8× the budget (4 GB at the default), where DuckDB's default is 90% of the
    // disk (a sort spilled 1.8 GB in 30 s with a 203 GiB allowance, measured in issue 22).
    maxTempDirectorySize: `${Math.max(256, Math.floor((budgetBytes * 8) / MB))}MB`,
  };
}

/**
 * The WAL size at which the service checkpoints by itself after a file, and evicts what the checkpoint
 * wrote: budget/128 (1–8 MB). DuckDB's own checkpoint (`checkpoint_threshold`, twice this) runs inside a
 * COMMIT and leaves the blocks it wrote cached until something evicts them, which over a backlog stacked
 * 3–5 MB onto RSS at each one (measured in docs/memory.md).
 */
export function walCheckpointBytes(budgetBytes: number): number {
  return Math.min(8, Math.max(1, Math.floor(budgetBytes / 128 / MB))) * MB;
}
