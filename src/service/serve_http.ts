/**
 * The service's HTTP side: the API with every command's route over the service's database, and the state
 * file that lets the CLI find it.
 */
import type { BudgetedDatabase } from "../memory/budgeted_db.ts";
import type { Config } from "../config/config.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { takeSnapshot } from "../db/snapshot.ts";
import { exportParquetFromLive } from "../export/parquet.ts";
import { type ServiceView, startHttpServer } from "../server/http.ts";
import { writeServiceState } from "../server/state_file.ts";
import type { Scheduler } from "../schedule/scheduler.ts";
import { JobRegistry } from "../actions/jobs.ts";
import { reprocessQuarantined } from "../actions/files.ts";

/** The HTTP API with every command's route, and the state file that lets the CLI find it. */
export async function serveHttp(
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
    reprocess: (progress, fileIds) => reprocessQuarantined(budgeted, config, exclusive, progress, fileIds),
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
