/**
 * `lta serve`: watch the inbox, run each claimed file through the pipeline, dispose of the source file as
 * configured, and run the nightly jobs; stop cleanly on SIGINT/SIGTERM (finish the file in hand, close the
 * database). Crash safety comes from the per-file transaction and the content-hash ledger: after a kill,
 * a file whose load did not commit is claimed again, one that did is recognised as a duplicate.
 */
import { dirname, join, relative, resolve } from "node:path";
import { openBudgetedDatabase } from "./memory/budgeted_db.ts";
import type { Config } from "./config/config.ts";
import type { Database } from "./db/database.ts";
import type { LoadOutcome } from "./ingest/load.ts";
import { InboxWatcher } from "./ingest/watch.ts";
import type { Logger } from "./log.ts";
import { processFile } from "./pipeline.ts";
import { Metrics } from "./metrics.ts";
import { takeSnapshot } from "./db/snapshot.ts";
import { exportParquetFromLive } from "./export/parquet.ts";
import { startHttpServer } from "./server/http.ts";
import { removeServiceState, writeServiceState } from "./server/state_file.ts";
import { nightlyJobs, spcOptions } from "./schedule/jobs.ts";
import { runSpc } from "./analyze/spc.ts";
import { Scheduler } from "./schedule/scheduler.ts";
import { exists } from "./fs.ts";
import { JobRegistry } from "./actions/jobs.ts";
import { reprocessQuarantined } from "./actions/files.ts";
import { databaseErrorCode } from "./db/errors.ts";
import { verifyBlocks } from "./db/verify.ts";
import { classifyFailure, IngestPause, RetryBook } from "./ingest/retry.ts";

export interface ServiceOptions {
  logger: Logger;
  /** Process the backlog, then return (no schedule): for cron-driven sites and tests. */
  once?: boolean;
  /** Aborting stops the service as a signal would. */
  signal?: AbortSignal;
  /** Listen for SIGINT/SIGTERM (the CLI does; in-process tests use `signal`). */
  handleSignals?: boolean;
  /**
   * When to recycle (tests shorten it): reliefs in a row left above pressure, files handled at least, how
   * often the floor is measured (files), by how much of the budget it may rise over the lowest one before
   * the database is reopened (`reopenGrowth`), and by how much after a reopen before the process recycles.
   */
  recycleAfter?: {
    stuckReliefs: number;
    files: number;
    floorEvery?: number;
    reopenGrowth?: number;
    floorGrowth?: number;
  };
  /** Called with the HTTP port once the API listens. */
  onListening?: (port: number) => void;
}

export interface ServiceSummary {
  /** The HTTP port when the API was served. */
  port?: number;
  loaded: number;
  duplicate: number;
  quarantined: number;
  /** The service stopped to be restarted: relief could no longer bring RSS under the pressure threshold. */
  recycled?: boolean;
}

/** The exit code of a recycling service (EX_TEMPFAIL): its manager restarts it, `--once` runs are rerun. */
export const RECYCLE_EXIT_CODE = 75;
/**
 * Reliefs in a row (at most one a second) that left RSS above the pressure threshold: the floor is then
 * measured at once rather than at the next 500th file. Restarting on that alone recycled every 200 files
 * once the database had grown (a fresh process's floor rises with it: 193 → 213 MB over 7,000 files
 * under 256 MiB, docs/memory.md), which a restart cannot help.
 */
const RECYCLE_AFTER_STUCK_RELIEFS = 10;
/** Files a process handles before stuck reliefs may trigger a floor measurement. */
const RECYCLE_MIN_FILES = 200;
/**
 * Every this many files the service runs all reliefs and samples RSS (its floor); the lowest floor so far is
 * the process's baseline (its first, at file 500, is often still warming up: 183 MB against 175 at file
 * 1,000 in one backlog). A relief with its checkpoint takes 0.1–0.3 s (measured), once per 500 files.
 */
const FLOOR_EVERY_FILES = 500;
/**
 * The rise of the floor over the baseline, as a share of the budget, at which the service reopens its
 * database (about 0.1 s): DuckDB keeps in memory the storage metadata of everything this process wrote,
 * which a reopen hands back (docs/memory.md).
 */
const REOPEN_FLOOR_GROWTH = 0.02;
/**
 * The rise that, still there after a reopen, recycles the process: memory only its end gives back, the
 * bookkeeping Deno keeps for every N-API external (~0.4 KB a typical file) and what glibc keeps of freed
 * memory (docs/memory.md). 3% of a 256 MiB budget is 8 MB, under 5% of the service's level.
 */
const RECYCLE_FLOOR_GROWTH = 0.03;

/**
 * A file as the watcher sees it: one string, so the known-files set holds one object per file. `knownFiles`
 * builds the same string in SQL.
 */
function knownKey(path: string, size: number, mtimeMs: number): string {
  return `${path}\n${size}\n${mtimeMs}`;
}

/**
 * Path, size and mtime of every file already in the database, so restarts and scans skip them. One string a
 * file in a set (169 bytes of V8 heap a typical file, measured; a map from path to a `size:mtime` string took
 * 255). Read chunk by chunk: materialized whole as row objects, a 10,500-row ledger grew V8's heap by 5 MB
 * more than the map it left behind, and V8 keeps such growth committed (measured).
 */
async function knownFiles(db: Database): Promise<Set<string>> {
  const known = new Set<string>();
  await db.eachChunk(
    `SELECT path || chr(10) || size_bytes || chr(10) || epoch_ms(source_mtime) FROM files WHERE source_mtime IS NOT NULL
     UNION ALL
     SELECT path || chr(10) || size_bytes || chr(10) || epoch_ms(source_mtime) FROM duplicates WHERE source_mtime IS NOT NULL`,
    [],
    (chunk) => {
      const keys = chunk.column(0);
      for (let i = 0; i < chunk.rowCount; i++) known.add(String(keys.getItem(i)));
    },
    true,
  );
  return known;
}

/** Runs the service until stopped (or, with `once`, until the inbox holds nothing new). */
export async function runService(config: Config, options: ServiceOptions): Promise<ServiceSummary> {
  const { logger } = options;
  const stop = new AbortController();
  options.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  const onSignal = (name: string) => () => {
    if (!stop.signal.aborted) logger.event("stopping", { signal: name });
    stop.abort();
  };
  const listeners: Array<[Deno.Signal, () => void]> = options.handleSignals
    ? (Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] as const : ["SIGINT", "SIGTERM"] as const)
      .map((s) => [s, onSignal(s)])
    : [];

  await Deno.mkdir(config.inbox, { recursive: true });
  const recycleAfter = options.recycleAfter ??
    { stuckReliefs: RECYCLE_AFTER_STUCK_RELIEFS, files: RECYCLE_MIN_FILES };
  const budgeted = await openVerified(config, logger);
  const { db, gate, budgetBytes: budget, admitFile, close: closeDb } = budgeted;
  const jobs = new JobRegistry();
  const retries = new RetryBook();
  const pause = new IngestPause();
  for (const [s, fn] of listeners) Deno.addSignalListener(s, fn);
  const summary: ServiceSummary = { loaded: 0, duplicate: 0, quarantined: 0 };
  let scheduler: Scheduler | null = null;
  let http: { port: number; close(): Promise<void> } | null = null;
  const metrics = new Metrics();
  const view = {
    startedAt: Date.now(),
    watching: false,
    stopping: false,
    pending: () => 0,
    gate,
    retries,
    pause,
  };
  stop.signal.addEventListener("abort", () => (view.stopping = true), { once: true });
  try {
    const known = await knownFiles(db);
    const watcher = new InboxWatcher({
      inbox: config.inbox,
      skipDirs: [
        config.quarantineDir,
        config.archiveDir,
        config.reportsDir,
        config.exportDir,
        dirname(resolve(config.db)),
      ],
      pollMs: config.pollSeconds * 1000,
      minAgeMs: config.minAgeSeconds * 1000,
      stuckMs: config.incompleteSeconds * 1000,
      useEvents: config.watchEvents && !options.once,
      isKnown: (path, size, mtimeMs) => known.has(knownKey(path, size, mtimeMs)),
    });
    view.pending = () => watcher.pendingCount;
    if (config.httpEnabled && !options.once) {
      http = startHttpServer({
        db,
        config,
        metrics,
        service: view,
        exclusive: (work) => db.exclusive(work),
        jobs,
        reprocess: (progress) =>
          reprocessQuarantined(budgeted, config, (work) => db.exclusive(work), progress),
        runJobs: (names) => {
          if (!scheduler) throw new Error("the nightly jobs are not scheduled in this service");
          return scheduler.runNow(names);
        },
        snapshot: () => db.exclusive(() => takeSnapshot(db, config.snapshotKeep)),
        exportParquet: (since) =>
          exportParquetFromLive(db, (work) => db.exclusive(work), {
            outDir: config.exportDir,
            site: config.site,
            since,
          }),
      });
      summary.port = http.port;
      await writeServiceState(config.db, {
        pid: Deno.pid,
        host: config.httpHost,
        port: http.port,
        startedAt: new Date().toISOString(),
      });
      options.onListening?.(http.port);
    }
    logger.event("started", {
      inbox: config.inbox,
      db: config.db,
      after_load: config.afterLoad,
      poll_s: config.pollSeconds,
      known_files: known.size,
      memory_budget_mb: Math.round(budget / 1e6),
      http: http ? `http://${config.httpHost}:${http.port}/` : null,
    });

    if (!options.once) {
      scheduler = new Scheduler(db, nightlyJobs(config), {
        cron: config.nightlyCron,
        timeZone: config.timeZone,
        catchUp: config.catchUp,
        catchUpMax: config.catchUpMax,
        exclusive: (work) => db.exclusive(work),
      }, logger);
      await scheduler.start();
      logger.event("schedule", {
        cron: config.nightlyCron,
        time_zone: config.timeZone,
        next: scheduler.nextRun(),
      });
    }

    const floorEvery = recycleAfter.floorEvery ?? FLOOR_EVERY_FILES;
    const floorGrowth = (recycleAfter.floorGrowth ?? RECYCLE_FLOOR_GROWTH) * budget;
    // A reopen comes first, never after the growth that recycles.
    const reopenGrowth = Math.min(recycleAfter.reopenGrowth ?? REOPEN_FLOOR_GROWTH, floorGrowth / budget) *
      budget;
    let baselineFloor: number | null = null;
    const recycle = (handled: number, reason: "floor_growth" | "reopen_failed") => {
      summary.recycled = true;
      logger.event("recycle", {
        reason,
        rss_mb: Math.round(gate.last.rss / 1e6),
        floor_mb: Math.round(gate.floorRss / 1e6),
        baseline_floor_mb: baselineFloor === null ? null : Math.round(baselineFloor / 1e6),
        budget_mb: Math.round(budget / 1e6),
        files: handled,
        exit_code: RECYCLE_EXIT_CODE,
      }, "warn");
      stop.abort();
    };
    const dirtyModels = new Set<string>();
    const spcRunAt = new Map<string, number>();
    let floorDue = false;
    /** Before the next file: all reliefs, then the floor against the lowest one this process measured. */
    const checkFloor = async () => {
      floorDue = false;
      const handled = summary.loaded + summary.duplicate + summary.quarantined;
      const floor = await gate.measureFloor();
      logger.event("memory_floor", {
        rss_mb: Math.round(floor / 1e6),
        heap_mb: Math.round(gate.last.heapUsed / 1e6),
        baseline_mb: baselineFloor === null ? null : Math.round(baselineFloor / 1e6),
        files: handled,
      });
      const lowest = baselineFloor;
      baselineFloor = Math.min(lowest ?? floor, floor);
      if (lowest === null || floor - lowest <= reopenGrowth) return;
      const started = performance.now();
      try {
        await db.exclusive(() => db.reopen());
      } catch (e) {
        // Its handles are closed: only a new process can open the file again.
        logger.event("database_reopen_failed", { error: (e as Error).message }, "error");
        return recycle(handled, "reopen_failed");
      }
      const after = await gate.measureFloor();
      logger.event("database_reopened", {
        floor_mb: Math.round(floor / 1e6),
        after_mb: Math.round(after / 1e6),
        baseline_mb: Math.round(lowest / 1e6),
        ms: Math.round(performance.now() - started),
        files: handled,
      });
      if (after - lowest > floorGrowth) recycle(handled, "floor_growth");
    };
    /** A load that failed through no fault of the file: backoff, a log line, never a tight loop. */
    const failed = (path: string, e: unknown) => {
      const error = (e as Error).message;
      const failure = classifyFailure(e);
      if (failure.scope === "gone") return;
      if (failure.scope === "fatal") {
        // DuckDB refuses every statement after a fatal error: retrying would spin. Stopping lets the
        // service manager restart lta, which reopens the file and replays its WAL.
        logger.event("database_invalidated", { path, error }, "error");
        throw new Error(`${config.db}: DuckDB stopped after a fatal error; restart lta. ${error}`);
      }
      if (failure.scope === "storage") {
        // The file stays in the inbox, not quarantined: the disk is at fault, not the file.
        const started = pause.pause(failure.code, error);
        const retryIn = Math.round((pause.current!.nextAt - Date.now()) / 1000);
        logger.event(started ? "ingest_paused" : "ingest_still_paused", {
          path,
          code: failure.code,
          error,
          retry_in_s: retryIn,
        }, "error");
        // DuckDB rolls the failed commit back and takes writes again once there is room (measured): no
        // reopen, whose own failure would leave no usable handle.
        return;
      }
      const wait = retries.fail(path, failure.code, error, Date.now(), failure.firstRetryMs);
      logger.event("file_retry", {
        path,
        code: failure.code,
        error,
        attempt: wait.attempts,
        retry_in_s: Math.round((wait.nextAt - Date.now()) / 1000),
      }, "warn");
    };
    const handle = async (path: string) => {
      if (floorDue && config.recycle && !summary.recycled) await checkFloor();
      if (summary.recycled) return;
      // Waiting out a backoff: forgotten until the next scan sees it again (no work, no log line).
      if (!pause.due() || !retries.due(path)) return watcher.done(path);
      const started = performance.now();
      let info: Deno.FileInfo | null = null;
      try {
        info = await Deno.stat(path);
      } catch {
        watcher.done(path);
        return; // gone since the scan
      }
      let outcome: LoadOutcome;
      let waited: number;
      try {
        ({ value: outcome, waitedMs: waited } = await admitFile(
          path,
          info.size,
          (flushRows) => processFile(db, path, config, undefined, flushRows, budgeted.read),
        ));
      } catch (e) {
        watcher.done(path);
        failed(path, e);
        return;
      }
      retries.succeeded(path);
      const was = pause.resume();
      if (was) {
        logger.event("ingest_resumed", {
          code: was.code,
          paused_s: Math.round((Date.now() - was.since) / 1000),
        });
      }
      summary[outcome.kind]++;
      const handled = summary.loaded + summary.duplicate + summary.quarantined;
      // RSS that reliefs keep leaving above pressure: whether a restart would help is the floor's to say.
      if (handled >= recycleAfter.files && gate.stuckReliefs >= recycleAfter.stuckReliefs) floorDue = true;
      floorDue ||= handled % floorEvery === 0;
      metrics.fileDone(
        outcome.kind,
        outcome.kind === "quarantined" ? outcome.code : "",
        outcome.kind === "loaded" ? outcome.points : 0,
        (performance.now() - started) / 1000,
      );
      known.add(knownKey(path, info.size, info.mtime?.getTime() ?? 0));
      watcher.done(path);
      if (outcome.kind !== "quarantined") await disposeSource(path, config);
      // The file is done here; the SPC below has events of its own.
      logger.event(`file_${outcome.kind}`, {
        path,
        file_id: outcome.fileId,
        sha256: outcome.sha256,
        ...(outcome.kind === "loaded" ? { tracks: outcome.tracks, points: outcome.points } : {}),
        ...(outcome.kind === "quarantined" ? { reason_code: outcome.code, reason: outcome.reason } : {}),
        ms: Math.round(performance.now() - started),
        ...(waited >= 1 ? { memory_wait_ms: Math.round(waited) } : {}),
      }, outcome.kind === "quarantined" ? "warn" : "info");
      // SPC watches the trim process; a final test adds no point to its charts.
      if (outcome.kind === "loaded" && outcome.fileKind === "trim" && outcome.model !== null) {
        dirtyModels.add(outcome.model);
      }
      // SPC follows each model's newest files, at most once a minute per model during a backlog, and as
      // soon as the inbox is drained.
      const now = Date.now();
      for (const model of [...dirtyModels]) {
        if (watcher.pendingCount > 0 && now - (spcRunAt.get(model) ?? 0) < SPC_INTERVAL_MS) continue;
        dirtyModels.delete(model);
        spcRunAt.set(model, now);
        // SPC reads a model's history: admitted like a file, so a burst's end does not spike past the budget.
        await gate.admit(budget * SPC_COST_SHARE);
        await updateSpc(db, model, config, logger);
      }
    };

    if (options.once) {
      // Two scans at least: a file is claimed only once it looks the same twice.
      while (!stop.signal.aborted && watcher.quietScans < 1) {
        for (const path of await watcher.scan()) {
          if (stop.signal.aborted) break;
          await handle(path);
        }
        if (watcher.quietScans < 1) {
          await new Promise((r) => setTimeout(r, Math.min(config.pollSeconds * 1000, 200)));
        }
      }
    } else {
      view.watching = true;
      for await (const path of watcher.claims(stop.signal)) await handle(path);
    }
  } finally {
    view.watching = false;
    if (http) {
      await http.close();
      await removeServiceState(config.db);
    }
    await scheduler?.stop();
    await closeDb();
    for (const [s, fn] of listeners) Deno.removeSignalListener(s, fn);
    logger.event("stopped", { ...summary });
  }
  return summary;
}

/**
 * The database, opened and (with `verifyOnStart`) every block read back once: a damaged file stops the
 * service here, named as damaged in the log and the exit, before anything is written to it.
 */
async function openVerified(config: Config, logger: Logger) {
  let budgeted: Awaited<ReturnType<typeof openBudgetedDatabase>> | null = null;
  try {
    budgeted = await openBudgetedDatabase(
      config.db,
      config.memoryBudgetMb,
      logger,
      config,
    );
    if (config.verifyOnStart) {
      const started = performance.now();
      const tables = await verifyBlocks(budgeted.db, config.db);
      // The scan's blocks would stay cached; nothing reads them again soon.
      await budgeted.db.evictCache();
      logger.event("database_verified", { tables, ms: Math.round(performance.now() - started) });
    }
    return budgeted;
  } catch (e) {
    const code = databaseErrorCode(e);
    logger.event(
      code ?? "database_open_failed",
      { db: config.db, code, error: (e as Error).message },
      "error",
    );
    await budgeted?.close().catch(() => {});
    throw e;
  }
}

/** The rules and drift of one model over its newest points (the nightly run covers all history). */
async function updateSpc(db: Database, model: string, config: Config, logger: Logger): Promise<void> {
  try {
    const summary = await db.exclusive(async () => {
      const summary = await db.transaction(() => runSpc(db, spcOptions(config, 200), [model]));
      // The history SPC read would stay in DuckDB's cache, which ingest never reads again: at the end of a
      // 10,000-file backlog, SPC over every model raised RSS 217 → 241 MB before the next relief (measured).
      await db.evictCache();
      return summary;
    });
    if (summary.newAlarms) logger.event("spc_alarms", { model, new_alarms: summary.newAlarms }, "warn");
  } catch (e) {
    logger.event("spc_failed", { model, error: (e as Error).message }, "error");
  }
}

const SPC_INTERVAL_MS = 60_000;
/** What one model's SPC run is admitted as, in shares of the budget (measured: ~4 MB at 2,000 files). */
const SPC_COST_SHARE = 0.05;

/** Leaves, archives (into `<archiveDir>/<YYYY-MM-DD>/<path below the inbox>`) or deletes a loaded file. */
async function disposeSource(path: string, config: Config): Promise<void> {
  if (config.afterLoad === "leave") return;
  try {
    if (config.afterLoad === "delete") {
      await Deno.remove(path);
      return;
    }
    const day = new Date().toISOString().slice(0, 10);
    let target = join(config.archiveDir, day, relative(resolve(config.inbox), resolve(path)));
    await Deno.mkdir(dirname(target), { recursive: true });
    for (let i = 1; await exists(target); i++) {
      target = join(dirname(target), `${i}_${path.split(/[\\/]/).at(-1)}`);
    }
    try {
      await Deno.rename(path, target);
    } catch {
      await Deno.copyFile(path, target);
      await Deno.remove(path);
    }
  } catch {
    // The data are in the database; a source file that cannot be moved is simply left where it is.
  }
}
