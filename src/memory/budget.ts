/** The memory budget and what follows from it for DuckDB, whose memory is outside the JS heap but in RSS. */

const MB = 1024 * 1024;

/** min(512 MB, 25% of RAM), unless configured. */
export function memoryBudget(configuredMb: number, systemTotal: number): number {
  if (configuredMb > 0) return configuredMb * MB;
  return Math.min(512 * MB, Math.floor(systemTotal * 0.25));
}

/** DuckDB's share: 40% of the budget for its buffer pool (spilling to disk beyond), one thread on small budgets. */
export function duckdbSettings(budgetBytes: number): { memoryLimit: string; threads: number } {
  const limitMb = Math.max(48, Math.floor((budgetBytes * 0.4) / MB));
  return { memoryLimit: `${limitMb}MB`, threads: budgetBytes < 384 * MB ? 1 : 2 };
}
