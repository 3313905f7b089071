/**
 * One claimed file's turn in the service: admitted through the memory gate, read, loaded and analysed in one
 * transaction, counted, logged, its source disposed of, and SPC brought up to date for its model.
 */
import type { Config } from "../config/config.ts";
import type { LoadOutcome } from "../ingest/load.ts";
import type { InboxWatcher } from "../ingest/watch.ts";
import { knownKey } from "../ingest/known_files.ts";
import { disposeSource } from "../ingest/dispose.ts";
import type { BudgetedDatabase } from "../memory/budgeted_db.ts";
import type { FloorPolicy } from "../memory/floor_policy.ts";
import type { SpcFollower } from "../analyze/spc_follow.ts";
import type { Metrics } from "../metrics.ts";
import type { Logger } from "../log.ts";
import { processFile } from "../pipeline.ts";
import { type FailureBook, loadFailed, loadSucceeded } from "./failures.ts";

export interface FileCounts {
  loaded: number;
  duplicate: number;
  quarantined: number;
}

export interface FileTurnContext {
  config: Config;
  budgeted: BudgetedDatabase;
  watcher: InboxWatcher;
  known: Set<string>;
  counts: FileCounts;
  metrics: Metrics;
  floor: FloorPolicy;
  spc: SpcFollower;
  failures: FailureBook;
}

const handledOf = (c: FileCounts) => c.loaded + c.duplicate + c.quarantined;

/** What the service does with each path the watcher claims. */
export function fileTurn(ctx: FileTurnContext): (path: string) => Promise<void> {
  const { config, budgeted, watcher, failures } = ctx;
  return async (path) => {
    if (ctx.floor.due && config.recycle && !ctx.floor.recycled) await ctx.floor.check(handledOf(ctx.counts));
    if (ctx.floor.recycled) return;
    // Waiting out a backoff: forgotten until the next scan sees it again (no work, no log line).
    if (!failures.pause.due() || !failures.retries.due(path)) return watcher.done(path);
    const started = performance.now();
    const info = await Deno.stat(path).catch(() => null);
    if (!info) return watcher.done(path); // gone since the scan
    let outcome: LoadOutcome;
    let waited: number;
    try {
      ({ value: outcome, waitedMs: waited } = await budgeted.admitFile(
        path,
        info.size,
        (flushRows) => processFile(budgeted.db, path, config, undefined, flushRows, budgeted.read),
      ));
    } catch (e) {
      watcher.done(path);
      return loadFailed(failures, path, e);
    }
    loadSucceeded(failures, path);
    ctx.counts[outcome.kind]++;
    ctx.floor.fileDone(handledOf(ctx.counts));
    const seconds = (performance.now() - started) / 1000;
    ctx.metrics.fileDone(
      outcome.kind,
      outcome.kind === "quarantined" ? outcome.code : "",
      outcome.kind === "loaded" ? outcome.points : 0,
      seconds,
    );
    ctx.known.add(knownKey(path, info.size, info.mtime?.getTime() ?? 0));
    watcher.done(path);
    if (outcome.kind !== "quarantined") await disposeSource(path, config);
    logOutcome(failures.logger, path, outcome, seconds * 1000, waited);
    // SPC watches the trim process; a final test adds no point to its charts.
    if (outcome.kind === "loaded" && outcome.fileKind === "trim" && outcome.model !== null) {
      ctx.spc.touched(outcome.model);
    }
    await ctx.spc.run(watcher.pendingCount);
  };
}

/** The file is done here: one line for it (SPC has events of its own). */
function logOutcome(logger: Logger, path: string, outcome: LoadOutcome, ms: number, waited: number): void {
  logger.event(`file_${outcome.kind}`, {
    path,
    file_id: outcome.fileId,
    sha256: outcome.sha256,
    ...(outcome.kind === "loaded" ? { tracks: outcome.tracks, points: outcome.points } : {}),
    ...(outcome.kind === "quarantined" ? { reason_code: outcome.code, reason: outcome.reason } : {}),
    ms: Math.round(ms),
    ...(waited >= 1 ? { memory_wait_ms: Math.round(waited) } : {}),
  }, outcome.kind === "quarantined" ? "warn" : "info");
}
