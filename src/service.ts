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
import type { ServiceView } from "./server/http.ts";
import { removeServiceState } from "./server/state_file.ts";
import { nightlyJobs } from "./schedule/jobs.ts";
import { Scheduler } from "./schedule/scheduler.ts";
import { databaseErrorCode } from "./db/errors.ts";
import { verifyBlocks } from "./db/verify.ts";
import { IngestPause, RetryBook } from "./ingest/retry.ts";
import { DEFAULT_RECYCLE_AFTER, FloorPolicy, type RecycleAfter } from "./memory/floor_policy.ts";
import { SpcFollower } from "./analyze/spc_follow.ts";
import { type FileCounts, fileTurn } from "./service/file_turn.ts";
import { serveHttp } from "./service/serve_http.ts";
import { Notifier } from "./notify/notifier.ts";
import { HealthWatch } from "./notify/health.ts";

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
  for (const [s, fn] of listeners) Deno.addSignalListener(s, fn);
  const summary: ServiceSummary = { loaded: 0, duplicate: 0, quarantined: 0 };
  const failures = { db: config.db, pause: new IngestPause(), retries: new RetryBook(), logger };
  const view = serviceView(budgeted, failures, stop.signal);
  const scheduler = options.once ? null : nightlyScheduler(config, budgeted, logger);
  let http: { port: number; close(): Promise<void> } | null = null;
  const notifier = new Notifier(budgeted.db, config, logger);
  const stopNotifying = new AbortController();
  let notifying: Promise<void> = Promise.resolve();
  try {
    await notifier.register();
    const known = await knownFiles(budgeted.db);
    const watcher = inboxWatcher(config, known, !options.once, logger);
    view.pending = () => watcher.pendingCount;
    view.loading = () => watcher.busy;
    const metrics = new Metrics();
    if (config.httpEnabled && !options.once) {
      http = await serveHttp(config, budgeted, { metrics, view, scheduler, logger });
      summary.port = http.port;
      options.onListening?.(http.port);
    }
    await announce(config, logger, { budgeted, known: known.size, http, scheduler });
    const floor = floorPolicy(budgeted, options, logger, () => {
      summary.recycled = true;
      stop.abort();
    });
    const spc = new SpcFollower(budgeted.db, budgeted.gate, budgeted.budgetBytes, config, logger);
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
      await notifier.tick();
    } else {
      const health = new HealthWatch(budgeted.db, config, () => budgeted.gate.state);
      notifying = notifier.run(stopNotifying.signal, health);
      view.watching = true;
      for await (const path of watcher.claims(stop.signal)) await handle(path);
    }
  } finally {
    view.watching = false;
    stopNotifying.abort();
    await notifying;
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

/** When to reopen the database or recycle the process; `recycle` ends the service to be restarted. */
function floorPolicy(
  budgeted: BudgetedDatabase,
  options: ServiceOptions,
  logger: Logger,
  recycle: () => void,
): FloorPolicy {
  const { db, gate, budgetBytes } = budgeted;
  return new FloorPolicy(
    db,
    gate,
    budgetBytes,
    logger,
    options.recycleAfter ?? DEFAULT_RECYCLE_AFTER,
    recycle,
  );
}

/** What the HTTP layer sees of the service; the watcher's counts are filled in once it exists. */
function serviceView(
  budgeted: BudgetedDatabase,
  failures: { pause: IngestPause; retries: RetryBook },
  stop: AbortSignal,
): ServiceView {
  const view: ServiceView = {
    startedAt: Date.now(),
    watching: false,
    stopping: false,
    pending: () => 0,
    loading: () => false,
    gate: budgeted.gate,
    retries: failures.retries,
    pause: failures.pause,
  };
  stop.addEventListener("abort", () => (view.stopping = true), { once: true });
  return view;
}

function nightlyScheduler(config: Config, budgeted: BudgetedDatabase, logger: Logger): Scheduler {
  return new Scheduler(budgeted.db, nightlyJobs(config), {
    cron: config.nightlyCron,
    timeZone: config.timeZone,
    catchUp: config.catchUp,
    catchUpMax: config.catchUpMax,
    exclusive: (work) => budgeted.db.exclusive(work),
  }, logger);
}

/** The "started" line (what a plant checks first), then the schedule, started and logged. */
async function announce(
  config: Config,
  logger: Logger,
  parts: {
    budgeted: BudgetedDatabase;
    known: number;
    http: { port: number } | null;
    scheduler: Scheduler | null;
  },
): Promise<void> {
  logger.event("started", {
    inbox: config.inbox,
    db: config.db,
    after_load: config.afterLoad,
    poll_s: config.pollSeconds,
    known_files: parts.known,
    memory_budget_mb: Math.round(parts.budgeted.budgetBytes / 1e6),
    http: parts.http ? `http://${config.httpHost}:${parts.http.port}/` : null,
  });
  if (!parts.scheduler) return;
  await parts.scheduler.start();
  logger.event("schedule", {
    cron: config.nightlyCron,
    time_zone: config.timeZone,
    next: parts.scheduler.nextRun(),
  });
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
