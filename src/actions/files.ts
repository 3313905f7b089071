/**
 * Loading a list of files through the memory gate, one after another: `lta ingest` and `lta reprocess` on
 * the file, and the service's reprocess route, run the same loop and report the same summary.
 */
import type { Config } from "../config/config.ts";
import type { Queryable } from "../db/database.ts";
import type { LoadOutcome } from "../ingest/load.ts";
import type { BudgetedDatabase } from "../memory/budgeted_db.ts";
import { processFile } from "../pipeline.ts";
import type { Progress } from "./jobs.ts";
import { classifyFailure } from "../ingest/retry.ts";

export interface FileItem {
  path: string;
  /** The quarantined ledger row this file retries. */
  replaces?: number;
}

export interface FilesSummary {
  loaded: number;
  duplicate: number;
  quarantined: number;
  points: number;
  seconds: number;
  /** Each quarantined file's reason, as `lta ingest` prints it. */
  quarantinedReasons: string[];
  /** Quarantined files no longer in the quarantine folder (reprocess only). */
  missing: string[];
  /** Files passed over through no fault of their own (permission denied, changed while read), with why. */
  skipped: string[];
}

/** Loads and analyses `items` in order; `onOutcome` sees each file's outcome as it is done. */
export async function loadFiles(
  items: FileItem[],
  budgeted: Pick<BudgetedDatabase, "db" | "admitFile" | "read">,
  config: Config,
  progress?: Progress,
  onOutcome?: (outcome: LoadOutcome) => void,
): Promise<FilesSummary> {
  const started = performance.now();
  const summary: FilesSummary = {
    loaded: 0,
    duplicate: 0,
    quarantined: 0,
    points: 0,
    seconds: 0,
    quarantinedReasons: [],
    missing: [],
    skipped: [],
  };
  for (const [i, item] of items.entries()) {
    let outcome: LoadOutcome;
    try {
      const { size } = await Deno.stat(item.path);
      ({ value: outcome } = await budgeted.admitFile(
        item.path,
        size,
        (flushRows) => processFile(budgeted.db, item.path, config, item.replaces, flushRows, budgeted.read),
      ));
    } catch (e) {
      // Not the file's fault: named and passed over (the service retries such files with backoff). Full
      // or read-only storage, or a broken database, ends the run.
      const failure = classifyFailure(e);
      if (failure.scope !== "file" && failure.scope !== "gone") throw e;
      summary.skipped.push(
        `${item.path}: ${failure.scope === "gone" ? "gone" : failure.code} (${(e as Error).message})`,
      );
      progress?.(i + 1, items.length);
      continue;
    }
    summary[outcome.kind]++;
    if (outcome.kind === "loaded") summary.points += outcome.points;
    if (outcome.kind === "quarantined") {
      summary.quarantinedReasons.push(`[${outcome.code}] ${outcome.reason}`);
    }
    onOutcome?.(outcome);
    progress?.(i + 1, items.length);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** The summary line `lta ingest` and `lta reprocess` end with. */
export function filesSummaryLine(s: FilesSummary): string {
  return `${s.loaded} loaded, ${s.duplicate} duplicate, ${s.quarantined} quarantined, ` +
    `${s.skipped.length ? `${s.skipped.length} skipped, ` : ""}${s.points} rows, ${s.seconds.toFixed(2)} s`;
}

/** Every quarantined file (or those of `fileIds`) still in the quarantine folder, and those that are gone. */
export async function quarantinedFiles(
  db: Queryable,
  fileIds: number[] | null = null,
): Promise<{ items: FileItem[]; missing: string[] }> {
  const rows = await db.rows(
    `SELECT file_id, coalesce(quarantine_path, path) AS p FROM files
     WHERE status = 'quarantined'
       AND ($1::VARCHAR IS NULL OR list_contains(string_split($1, ',')::BIGINT[], file_id)) ORDER BY file_id`,
    [fileIds === null ? null : fileIds.join(",")],
  );
  const items: FileItem[] = [];
  const missing: string[] = [];
  for (const r of rows) {
    const path = String(r.p);
    try {
      await Deno.stat(path);
      items.push({ path, replaces: Number(r.file_id) });
    } catch {
      missing.push(path);
    }
  }
  return { items, missing };
}

/** Retries every quarantined file that is still there (or only those of `fileIds`). */
export async function reprocessQuarantined(
  budgeted: Pick<BudgetedDatabase, "db" | "admitFile" | "read">,
  config: Config,
  exclusive: <T>(work: () => Promise<T>) => Promise<T>,
  progress?: Progress,
  fileIds: number[] | null = null,
): Promise<FilesSummary> {
  const { items, missing } = await exclusive(() => quarantinedFiles(budgeted.db, fileIds));
  const summary = await loadFiles(items, budgeted, config, progress);
  return { ...summary, missing };
}
