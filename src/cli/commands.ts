/**
 * One entry function per CLI command for loading and serving (`main.ts` parses arguments and calls these);
 * the history commands are in `history_commands.ts`. While a service runs on the database, every command
 * goes through it (`client.ts`): DuckDB lets no second process open the file.
 */
import type { Config } from "../config/config.ts";
import { openDatabase } from "../db/open.ts";
import { discoverFiles } from "../ingest/discover.ts";
import type { LoadOutcome } from "../ingest/load.ts";
import { formatRows, type OutputFormat } from "../db/values.ts";
import { createLogger } from "../log.ts";
import { openBudgetedDatabase } from "../memory/budgeted_db.ts";
import { runReadOnlyQuery } from "../db/readonly_query.ts";
import { takeSnapshot } from "../db/snapshot.ts";
import {
  type FileItem,
  type FilesSummary,
  filesSummaryLine,
  loadFiles,
  quarantinedFiles,
} from "../actions/files.ts";
import { RECYCLE_EXIT_CODE, runService } from "../service.ts";
import { ServiceClient } from "./client.ts";
import { log, progressBar } from "./output.ts";

export { log };

/** What `lta ingest` and `lta reprocess` did, with each file's outcome when they ran on the file. */
export interface IngestSummary extends FilesSummary {
  outcomes: LoadOutcome[];
}

/** `lta ingest`: loads and analyses every file under `paths`. */
export async function ingestCommand(paths: string[], config: Config): Promise<IngestSummary> {
  if (await ServiceClient.find(config)) {
    throw new Error(
      `a service is running on ${config.db}: drop the files into its inbox (${config.inbox}) instead`,
    );
  }
  const files = await discoverFiles(paths, [config.quarantineDir]);
  return await runFiles(files.map((path) => ({ path })), config);
}

async function runFiles(items: FileItem[], config: Config, missing: string[] = []): Promise<IngestSummary> {
  // The gate's warnings (pressure, failed relief) reach the terminal; its routine events would drown it.
  const logger = createLogger(config.logFormat);
  const budgeted = await openBudgetedDatabase(config.db, config.memoryBudgetMb, {
    event: (name, fields, level) => level && level !== "info" && logger.event(name, fields, level),
  }, config);
  const bar = progressBar(items.length, "ingest");
  const outcomes: LoadOutcome[] = [];
  let summary: FilesSummary;
  try {
    summary = await loadFiles(items, budgeted, config, (done) => bar.update(done), (outcome) => {
      outcomes.push(outcome);
      if (outcome.kind === "quarantined") log(`quarantined [${outcome.code}] ${outcome.reason}`);
    });
  } finally {
    bar.stop();
    await budgeted.close();
  }
  for (const why of summary.skipped) log(`skipped ${why}`);
  log(filesSummaryLine(summary));
  return { ...summary, missing, outcomes };
}

/**
 * `lta query`: one reading statement, through the running service when there is one, else on the file
 * opened read-only. Same rules and output either way.
 */
export async function queryCommand(sql: string, format: OutputFormat, config: Config): Promise<void> {
  const service = await ServiceClient.find(config);
  let result: { columns: string[]; rows: unknown[][]; truncated: boolean };
  if (service) {
    const body = await service.json("POST", "/api/query", { sql });
    result = {
      columns: body.columns,
      rows: body.rows.map((r: Record<string, unknown>) => body.columns.map((c: string) => r[c])),
      truncated: body.truncated,
    };
  } else {
    const db = await openDatabase(config, "read");
    try {
      result = await runReadOnlyQuery(db, sql, { maxRows: 1_000_000, timeoutMs: 600_000 });
    } finally {
      db.close();
    }
  }
  console.log(formatRows(result.columns, result.rows, format));
  if (result.truncated) log(`(result cut at ${result.rows.length} rows)`);
}

/** `lta snapshot`: a read-only copy of the database, through the running service when there is one. */
export async function snapshotCommand(config: Config): Promise<void> {
  const service = await ServiceClient.find(config);
  if (service) {
    log(`wrote ${(await service.json("POST", "/api/snapshot")).path}`);
    return;
  }
  const db = await openDatabase(config, "write");
  try {
    log(`wrote ${await takeSnapshot(db, config.snapshotKeep)}`);
  } finally {
    db.close();
  }
}

/** `lta reprocess --quarantined`: retries every quarantined file still in the quarantine folder. */
export async function reprocessCommand(config: Config): Promise<FilesSummary | IngestSummary> {
  const service = await ServiceClient.find(config);
  if (service) {
    const bar = progressBar(0, "reprocess");
    try {
      const summary = await service.job(
        "/api/reprocess",
        {},
        (done, total) => bar.update(done, total),
      ) as FilesSummary;
      bar.stop();
      printReprocess(summary);
      return summary;
    } finally {
      bar.stop();
    }
  }
  const db = await openDatabase(config, "read");
  let found: Awaited<ReturnType<typeof quarantinedFiles>>;
  try {
    found = await quarantinedFiles(db);
  } finally {
    db.close();
  }
  for (const path of found.missing) log(`skipped ${path}: the quarantined file is no longer there`);
  if (found.items.length === 0) log("no quarantined files to retry");
  return await runFiles(found.items, config, found.missing);
}

function printReprocess(summary: FilesSummary): void {
  for (const path of summary.missing) log(`skipped ${path}: the quarantined file is no longer there`);
  for (const reason of summary.quarantinedReasons) log(`quarantined ${reason}`);
  if (summary.loaded + summary.duplicate + summary.quarantined === 0) log("no quarantined files to retry");
  log(filesSummaryLine(summary));
}

/** `lta serve`: the service, until SIGINT/SIGTERM (or, with `once`, until the backlog is done). */
export async function serveCommand(config: Config, once = false): Promise<void> {
  if (!once) assertPortFree(config);
  const summary = await runService(config, {
    logger: createLogger(config.logFormat),
    once,
    handleSignals: true,
  });
  if (summary.recycled) Deno.exit(RECYCLE_EXIT_CODE);
}

/**
 * Refuses to start when the HTTP port is taken, before anything is created: a plant's IT person should read
 * which port, and how to pick another, not an OS error after a "stopped" line.
 */
function assertPortFree(config: Config): void {
  if (!config.httpEnabled || config.httpPort === 0) return;
  try {
    Deno.listen({ hostname: config.httpHost, port: config.httpPort }).close();
  } catch (e) {
    if (!(e instanceof Deno.errors.AddrInUse)) throw e;
    throw new Error(
      `port ${config.httpPort} on ${config.httpHost} is already in use (another lta, or another program); ` +
        `stop it, or choose a free port with --port N or LTA_HTTP_PORT=N (httpPort in the config file)`,
    );
  }
}

/**
 * `lta config check`: validates the settings and prints the effective configuration, its secrets masked
 * (tokens, mail passwords, the paths of webhook URLs, which carry the webhook's key): the output gets
 * pasted into tickets and chats.
 */
export function configCheckCommand(config: Config): void {
  const hidden = (secret: string) => (secret ? "(set, not shown)" : "");
  const shown = {
    ...config,
    httpToken: hidden(config.httpToken),
    httpReadToken: hidden(config.httpReadToken),
    notifyChannels: config.notifyChannels.map((c) =>
      c.type === "smtp"
        ? { ...c, password: hidden(c.password) }
        : { ...c, url: `${new URL(c.url).origin}/… (path not shown)` }
    ),
  };
  console.log(JSON.stringify(shown, null, 2));
  log("configuration ok");
}

/** `lta jobs run`: the nightly jobs (all, or those named) now, through the running service. */
export async function jobsRunCommand(names: string[], config: Config): Promise<void> {
  const service = await ServiceClient.find(config);
  if (!service) {
    throw new Error(`no service is running on ${config.db}; the nightly jobs run inside \`lta serve\``);
  }
  const outcome = await service.job("/api/jobs/run", { jobs: names.length ? names : undefined }) as Record<
    string,
    string
  >;
  for (const [job, status] of Object.entries(outcome)) log(`${job}: ${status}`);
  if (Object.values(outcome).some((s) => s !== "ok")) throw new Error("a job failed; see the service's log");
}
