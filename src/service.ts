/**
 * `lta serve`: watch the inbox, run each claimed file through the pipeline, dispose of the source file as
 * configured, and run the nightly jobs; stop cleanly on SIGINT/SIGTERM (finish the file in hand, close the
 * database). Crash safety comes from the per-file transaction and the content-hash ledger: after a kill,
 * a file whose load did not commit is claimed again, one that did is recognised as a duplicate. This file
 * wires the parts together; each part lives where its job is.
 */
import { dirname, resolve } from "node:path";
import { type BudgetedDatabase, openBudgetedDatabase } from "./memory/budgeted_db.ts";
import type { Config } from "./config/config.ts";
import { InboxWatcher } from "./ingest/watch.ts";
import { knownFiles, knownKey } from "./ingest/known_files.ts";
import type { Logger } from "./log.ts";
import { Metrics } from "./metrics.ts";
import { takeSnapshot } from "./db/snapshot.ts";
import { exportParquetFromLive } from "./export/parquet.ts";
import { type ServiceView, startHttpServer } from "./server/http.ts";
import { removeServiceState, writeServiceState } from "./server/state_file.ts";
import { nightlyJobs } from "./schedule/jobs.ts";
import { Scheduler } from "./schedule/scheduler.ts";
import { JobRegistry } from "./actions/jobs.ts";
import { reprocessQuarantined } from "./actions/files.ts";
import { databaseErrorCode } from "./db/errors.ts";
import { verifyBlocks } from "./db/verify.ts";
import { IngestPause, RetryBook } from "./ingest/retry.ts";
import { DEFAULT_RECYCLE_AFTER, FloorPolicy, type RecycleAfter } from "./memory/floor_policy.ts";
import { SpcFollower } from "./analyze/spc_follow.ts";
import { type FileCounts, fileTurn } from "./service/file_turn.ts";

export { RECYCLE_EXIT_CODE } from "./memory/floor_policy.ts";

export interface ServiceOptions {
  logger: Logger;
  /** Process the backlog, then return (no schedule): for cron-driven sites and tests. */
  once?: boolean;
  /** Aborting stops the service as a signal would. */
  signal?: AbortSignal;
  /** Listen for SIGINT/SIGTERM (the CLI does; in-process tests use `signal`). */
  handleSignals?: boolean;
  /** When to reopen the database or recycle the process (tests shorten it; see `RecycleAfter`). */
  recycleAfter?: RecycleAfter;
  /** Called with the HTTP port once the API listens. */
  onListening?: (port: number) => void;
}

export interface ServiceSummary extends FileCounts {
  /** The HTTP port when the API was served. */
  port?: number;
  /** The service stopped to be restarted: relief could no longer bring RSS under the pressure threshold. */
  recycled?: boolean;
}

/** Runs the service until stopped (or, with `once`, until the inbox holds nothing new). */
export async function runService(config: Config, options: ServiceOptions): Promise<ServiceSummary> {
  const { logger } = options;
  const stop = new AbortController();
  options.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  const listeners = signalListeners(options, stop, logger);
  await Deno.mkdir(config.inbox, { recursive: true });
  const budgeted = await openVerified(config, logger);
  const { db, gate, budgetBytes: budget } = budgeted;
  for (const [s, fn] of listeners) Deno.addSignalListener(s, fn);
  const summary: ServiceSummary = { loaded: 0, duplicate: 0, quarantined: 0 };
  const failures = { db: config.db, pause: new IngestPause(), retries: new RetryBook(), logger };
  const view: ServiceView = {
    startedAt: Date.now(),
    watching: false,
    stopping: false,
    pending: () => 0,
    loading: () => false,
    gate,
    retries: failures.retries,
    pause: failures.pause,
  };
  stop.signal.addEventListener("abort", () => (view.stopping = true), { once: true });
  const scheduler = options.once ? null : new Scheduler(db, nightlyJobs(config), {
    cron: config.nightlyCron,
    timeZone: config.timeZone,
    catchUp: config.catchUp,
    catchUpMax: config.catchUpMax,
    exclusive: (work) => db.exclusive(work),
  }, logger);
  let http: { port: number; close(): Promise<void> } | null = null;
  try {
    const known = await knownFiles(db);
    const watcher = inboxWatcher(config, known, !options.once, logger);
    view.pending = () => watcher.pendingCount;
    view.loading = () => watcher.busy;
    const metrics = new Metrics();
    if (config.httpEnabled && !options.once) {
      http = await serveHttp(config, budgeted, { metrics, view, scheduler, logger });
      summary.port = http.port;
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
    if (scheduler) {
      await scheduler.start();
      logger.event("schedule", {
        cron: config.nightlyCron,
        time_zone: config.timeZone,
        next: scheduler.nextRun(),
      });
    }
    const floor = new FloorPolicy(
      db,
      gate,
      budget,
      logger,
      options.recycleAfter ?? DEFAULT_RECYCLE_AFTER,
      () => {
        summary.recycled = true;
        stop.abort();
      },
    );
    const spc = new SpcFollower(db, gate, budget, config, logger);
    const handle = fileTurn({
      config,
      budgeted,
      watcher,
      known,
      counts: summary,
      metrics,
      floor,
      spc,
      failures,
    });
    if (options.once) {
      await drainOnce(watcher, handle, stop.signal, config.pollSeconds);
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
    await budgeted.close();
    for (const [s, fn] of listeners) Deno.removeSignalListener(s, fn);
    logger.event("stopped", { ...summary });
  }
  return summary;
}

/** SIGINT/SIGTERM (SIGBREAK on Windows) stop the service after the file in hand. */
function signalListeners(
  options: ServiceOptions,
  stop: AbortController,
  logger: Logger,
): Array<[Deno.Signal, () => void]> {
  if (!options.handleSignals) return [];
  const onSignal = (name: string) => () => {
    if (!stop.signal.aborted) logger.event("stopping", { signal: name });
    stop.abort();
  };
  const names = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"] as const
    : ["SIGINT", "SIGTERM"] as const;
  return names.map((s) => [s, onSignal(s)]);
}

/** The inbox watcher, skipping lta's own folders and what the ledger already holds. */
function inboxWatcher(config: Config, known: Set<string>, useEvents: boolean, logger: Logger): InboxWatcher {
  return new InboxWatcher({
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
    useEvents: config.watchEvents && useEvents,
    isKnown: (path, size, mtimeMs) => known.has(knownKey(path, size, mtimeMs)),
    notice: (event, fields) => logger.event(event, fields, "warn"),
  });
}

/** `--once`: what the inbox holds now, then return. Two scans at least: a file is claimed once it looks the same twice. */
async function drainOnce(
  watcher: InboxWatcher,
  handle: (path: string) => Promise<void>,
  signal: AbortSignal,
  pollSeconds: number,
): Promise<void> {
  while (!signal.aborted && watcher.quietScans < 1) {
    for (const path of await watcher.scan()) {
      if (signal.aborted) break;
      await handle(path);
    }
    if (watcher.quietScans < 1) await new Promise((r) => setTimeout(r, Math.min(pollSeconds * 1000, 200)));
  }
}

/** The HTTP API with every command's route, and the state file that lets the CLI find it. */
async function serveHttp(
  config: Config,
  budgeted: BudgetedDatabase,
  parts: { metrics: Metrics; view: ServiceView; scheduler: Scheduler | null; logger: Logger },
): Promise<{ port: number; close(): Promise<void> }> {
  const { db } = budgeted;
  const { metrics, view, scheduler, logger } = parts;
  const exclusive = <T>(work: () => Promise<T>) => db.exclusive(work);
  const http = startHttpServer({
    db,
    config,
    metrics,
    service: view,
    logger,
    exclusive,
    jobs: new JobRegistry(),
    reprocess: (progress) => reprocessQuarantined(budgeted, config, exclusive, progress),
    runJobs: (names) => {
      if (!scheduler) throw new Error("the nightly jobs are not scheduled in this service");
      return scheduler.runNow(names);
    },
    snapshot: () => exclusive(() => takeSnapshot(db, config.snapshotKeep)),
    exportParquet: (since) =>
      exportParquetFromLive(db, exclusive, {
        outDir: config.exportDir,
        site: config.site,
        keepDays: config.exportKeepDays,
        since,
      }),
  });
  await writeServiceState(config.db, {
    pid: Deno.pid,
    host: config.httpHost,
    port: http.port,
    startedAt: new Date().toISOString(),
  });
  return http;
}

/**
 * The database, opened and (with `verifyOnStart`) every block read back once: a damaged file stops the
 * service here, named as damaged in the log and the exit, before anything is written to it.
 */
async function openVerified(config: Config, logger: Logger): Promise<BudgetedDatabase> {
  let budgeted: BudgetedDatabase | null = null;
  try {
    budgeted = await openBudgetedDatabase(config.db, config.memoryBudgetMb, logger, config);
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
