/** One entry function per CLI command; `main.ts` parses arguments and calls these. */
import cliProgress from "cli-progress";
import { analyzeTracks, type TrackSelection } from "../analyze/analyze.ts";
import type { Config } from "../config/config.ts";
import { Database } from "../db/database.ts";
import { discoverFiles } from "../ingest/discover.ts";
import type { LoadOutcome } from "../ingest/load.ts";
import { processFile } from "../pipeline.ts";
import { formatRows, type OutputFormat, plainValue } from "../db/values.ts";
import { controlLimits, runSpc, SPC_METRICS } from "../analyze/spc.ts";
import { capability } from "../analyze/capability.ts";
import { createLogger } from "../log.ts";
import { openBudgetedDatabase } from "../memory/budgeted_db.ts";
import { runReadOnlyQuery } from "../db/readonly_query.ts";
import { takeSnapshot } from "../db/snapshot.ts";
import { findRunningService, type ServiceState, serviceUrl } from "../server/state_file.ts";
import type { ExportOptions } from "../render/excel.ts";
import type { ExportManifest } from "../export/parquet.ts";
import { resolve } from "node:path";
import { localDate, spcOptions } from "../schedule/jobs.ts";
import { RECYCLE_EXIT_CODE, runService } from "../service.ts";

/** Prints to stderr, so stdout stays clean for query output and SVG. */
export function log(message: string): void {
  console.error(message);
}

function progressBar(total: number, label: string): { update(n: number): void; stop(): void } {
  if (!Deno.stderr.isTerminal() || total < 2) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {value}/{total} {percentage}% eta {eta_formatted}`,
    stream: process.stderr,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return { update: (n) => bar.update(n), stop: () => bar.stop() };
}

export interface IngestSummary {
  loaded: number;
  duplicate: number;
  quarantined: number;
  points: number;
  seconds: number;
  outcomes: LoadOutcome[];
}

/** `lta ingest`: loads and analyses every file under `paths`. */
export async function ingestCommand(paths: string[], config: Config): Promise<IngestSummary> {
  const files = await discoverFiles(paths, [config.quarantineDir]);
  return await runFiles(files.map((path) => ({ path })), config);
}

async function runFiles(
  items: Array<{ path: string; replaces?: number }>,
  config: Config,
): Promise<IngestSummary> {
  const started = performance.now();
  // The gate's warnings (pressure, failed relief) reach the terminal; its routine events would drown it.
  const logger = createLogger(config.logFormat);
  const budgeted = await openBudgetedDatabase(config.db, config.memoryBudgetMb, {
    event: (name, fields, level) => level && level !== "info" && logger.event(name, fields, level),
  });
  const db = budgeted.db;
  const summary: IngestSummary = {
    loaded: 0,
    duplicate: 0,
    quarantined: 0,
    points: 0,
    seconds: 0,
    outcomes: [],
  };
  const bar = progressBar(items.length, "ingest");
  try {
    for (const [i, item] of items.entries()) {
      const { size } = await Deno.stat(item.path);
      const { value: outcome } = await budgeted.admitFile(
        item.path,
        size,
        (flushRows) => processFile(db, item.path, config, item.replaces, flushRows),
      );
      summary.outcomes.push(outcome);
      summary[outcome.kind]++;
      if (outcome.kind === "loaded") summary.points += outcome.points;
      if (outcome.kind === "quarantined") log(`quarantined [${outcome.code}] ${outcome.reason}`);
      bar.update(i + 1);
    }
  } finally {
    bar.stop();
    await budgeted.close();
  }
  summary.seconds = (performance.now() - started) / 1000;
  log(
    `${summary.loaded} loaded, ${summary.duplicate} duplicate, ${summary.quarantined} quarantined, ` +
      `${summary.points} rows, ${summary.seconds.toFixed(2)} s`,
  );
  return summary;
}

/** POSTs to the running service (with the configured token); its `{"error"}` answer becomes the thrown message. */
async function postToService(
  service: ServiceState,
  route: string,
  config: Config,
  payload?: unknown,
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const res = await fetch(`${serviceUrl(service)}${route}`, {
    method: "POST",
    headers: {
      ...(payload === undefined ? {} : { "content-type": "application/json" }),
      ...(config.httpToken ? { authorization: `Bearer ${config.httpToken}` } : {}),
    },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ?? `service answered ${res.status}`);
  return body;
}

/**
 * `lta query`: one reading statement, through the running service when there is one (DuckDB lets no other
 * process open the file), else on the file opened read-only. Same rules and output either way.
 */
export async function queryCommand(sql: string, format: OutputFormat, config: Config): Promise<void> {
  const service = await findRunningService(config.db);
  let result: { columns: string[]; rows: unknown[][]; truncated: boolean };
  if (service) {
    const body = await postToService(service, "/api/query", config, { sql });
    result = {
      columns: body.columns,
      rows: body.rows.map((r: Record<string, unknown>) => body.columns.map((c: string) => r[c])),
      truncated: body.truncated,
    };
  } else {
    await requireDatabase(config.db);
    const db = await Database.open(config.db, { readOnly: true });
    try {
      result = await runReadOnlyQuery(db, sql, { maxRows: 1_000_000, timeoutMs: 600_000 });
    } finally {
      db.close();
    }
  }
  console.log(formatRows(result.columns, result.rows, format));
  if (result.truncated) log(`(result cut at ${result.rows.length} rows)`);
}

/** Fails with a hint when there is no database file yet (a read-only open cannot create one). */
async function requireDatabase(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch {
    throw new Error(`no database at ${path} (nothing ingested yet, or another --db / LTA_DB?)`);
  }
}

/** `lta snapshot`: a read-only copy of the database, through the running service when there is one. */
export async function snapshotCommand(config: Config): Promise<void> {
  const service = await findRunningService(config.db);
  if (service) {
    log(`wrote ${(await postToService(service, "/api/snapshot", config)).path}`);
    return;
  }
  const db = await Database.open(config.db);
  try {
    log(`wrote ${await takeSnapshot(db, config.snapshotKeep)}`);
  } finally {
    db.close();
  }
}

/** `lta analyze`: re-analyses the selected tracks with a progress bar. */
export async function analyzeCommand(selection: TrackSelection, config: Config): Promise<void> {
  const db = await Database.open(config.db);
  let bar: ReturnType<typeof progressBar> | null = null;
  try {
    const summary = await analyzeTracks(db, selection, {
      offsetSearch: config.offsetSearch,
      nearMissPct: config.nearMissPct,
      onProgress: (done, total) => {
        bar ??= progressBar(total, "analyze");
        bar.update(done);
      },
    });
    (bar as ReturnType<typeof progressBar> | null)?.stop();
    const statuses = Object.entries(summary.byStatus).map(([s, n]) => `${n} ${s}`).join(", ") ||
      "nothing to do";
    log(`${summary.tracks} tracks analysed (${statuses}) in ${summary.seconds.toFixed(2)} s`);
  } finally {
    db.close();
  }
}

/** `lta reprocess --quarantined`: retries every quarantined file still in the quarantine folder. */
export async function reprocessCommand(config: Config): Promise<IngestSummary> {
  const db = await Database.open(config.db);
  const items: Array<{ path: string; replaces: number }> = [];
  try {
    const rows = await db.rows(
      "SELECT file_id, coalesce(quarantine_path, path) AS p FROM files WHERE status = 'quarantined' ORDER BY file_id",
    );
    for (const r of rows) {
      const path = String(r.p);
      try {
        await Deno.stat(path);
        items.push({ path, replaces: Number(r.file_id) });
      } catch {
        log(`skipped ${path}: the quarantined file is no longer there`);
      }
    }
  } finally {
    db.close();
  }
  if (items.length === 0) log("no quarantined files to retry");
  return await runFiles(items, config);
}

/** `lta serve`: the service, until SIGINT/SIGTERM (or, with `once`, until the backlog is done). */
export async function serveCommand(config: Config, once = false): Promise<void> {
  const summary = await runService(config, {
    logger: createLogger(config.logFormat),
    once,
    handleSignals: true,
  });
  if (summary.recycled) Deno.exit(RECYCLE_EXIT_CODE);
}

/** `lta config check`: validates the settings and prints the effective configuration. */
export function configCheckCommand(config: Config): void {
  console.log(JSON.stringify(config, null, 2));
  log("configuration ok");
}

/** `lta chart`: one track's chart as SVG, to a file or stdout. */
export async function chartCommand(
  ref: string,
  trackId: string | undefined,
  out: string | undefined,
  config: Config,
) {
  const { findFile, trackChartData, trackChartSvg } = await import("../render/track_chart.ts");
  const db = await Database.open(config.db);
  try {
    const file = await findFile(db, ref);
    if (!file) throw new Error(`no loaded file named or numbered "${ref}" in ${config.db}`);
    const tracks =
      (await db.rows("SELECT track_id FROM tracks WHERE file_id = $1 ORDER BY track_id", [file.fileId]))
        .map((r) => String(r.track_id));
    const track = trackId ?? tracks[0];
    if (!track || !tracks.includes(track)) {
      throw new Error(
        `${file.fileName} has no analysed track "${trackId}"; its tracks: ${tracks.join(", ") || "none"}`,
      );
    }
    const svg = await trackChartSvg((await trackChartData(db, file.fileId, track))!);
    if (out) {
      await Deno.writeTextFile(out, svg);
      log(`wrote ${out}`);
    } else {
      console.log(svg);
    }
  } finally {
    db.close();
  }
}

/** `lta report`: builds the report folder for a day (default: yesterday). */
export async function reportCommand(date: string | undefined, config: Config): Promise<void> {
  const day = date ?? localDate(new Date(Date.now() - 86_400_000), config.timeZone);
  const { buildReport } = await import("../render/report.ts");
  const db = await Database.open(config.db);
  try {
    const result = await buildReport(db, {
      date: day,
      reportsDir: config.reportsDir,
      spcBaseline: config.spcBaseline,
    });
    log(
      `wrote ${result.index}: ${result.models} model(s), ${result.tracks} track(s), ${result.trackCharts} chart(s)`,
    );
  } finally {
    db.close();
  }
}

/** `lta export`: the Excel workbook for engineers. */
export async function exportCommand(options: ExportOptions, config: Config): Promise<void> {
  const { exportExcel } = await import("../render/excel.ts");
  const db = await Database.open(config.db);
  try {
    const rows = await exportExcel(db, options);
    log(`wrote ${options.out}: ${rows} track(s)`);
  } finally {
    db.close();
  }
}

/**
 * `lta export parquet`: a new export folder in the lake; through the running service when there is one
 * (which exports from a consistent copy), else straight from the database file.
 */
export async function parquetExportCommand(
  options: { out?: string; since?: string },
  config: Config,
): Promise<ExportManifest> {
  const service = await findRunningService(config.db);
  let manifest: ExportManifest;
  if (service) {
    if (options.out && resolve(options.out) !== resolve(config.exportDir)) {
      throw new Error(
        `the running service writes exports to its exportDir (${config.exportDir}); drop --out or set exportDir`,
      );
    }
    manifest = await postToService(service, "/api/export/parquet", config, { since: options.since });
  } else {
    await requireDatabase(config.db);
    const { exportParquet } = await import("../export/parquet.ts");
    manifest = await exportParquet(config.db, {
      outDir: options.out ?? config.exportDir,
      site: config.site,
      since: options.since,
    });
  }
  const rows = Object.entries(manifest.tables).map(([t, v]) => `${v.rows} ${t}`).join(", ");
  log(`wrote export ${manifest.exportId} to ${options.out ?? config.exportDir}: ${rows}`);
  return manifest;
}

/** `lta lake`: one reading statement over the lake's Parquet exports, through lta's own relations. */
export async function lakeCommand(
  sql: string,
  lakeDir: string | undefined,
  format: OutputFormat,
  config: Config,
): Promise<void> {
  const { openLake } = await import("../export/lake.ts");
  const db = await openLake(lakeDir ?? config.exportDir);
  try {
    const result = await runReadOnlyQuery(db, sql, { maxRows: 1_000_000, timeoutMs: 3_600_000 });
    console.log(formatRows(result.columns, result.rows, format));
    if (result.truncated) log(`(result cut at ${result.rows.length} rows)`);
  } finally {
    db.close();
  }
}

/** `lta spc`: control limits, Nelson rules and drift now (the nightly job does the same). */
export async function spcCommand(
  model: string | undefined,
  recompute: boolean,
  config: Config,
): Promise<void> {
  const db = await Database.open(config.db);
  try {
    const summary = await db.transaction(async () => {
      if (recompute) {
        const models = model
          ? [model]
          : (await db.rows("SELECT DISTINCT model FROM v_tracks WHERE model IS NOT NULL"))
            .map((r) => String(r.model));
        for (const m of models) {
          for (const metric of SPC_METRICS) await controlLimits(db, m, metric, config.spcBaseline, true);
        }
      }
      return await runSpc(db, spcOptions(config), model ? [model] : undefined);
    });
    log(`${summary.models} model(s) checked, ${summary.newAlarms} new alarm(s)`);
  } finally {
    db.close();
  }
}

/** `lta alarms`: lists open alarms (all with `all`), or acknowledges one with its assignable cause. */
export async function alarmsCommand(
  options: { all?: boolean; ack?: number; cause?: string; by?: string; format: OutputFormat },
  config: Config,
): Promise<void> {
  const db = await Database.open(config.db);
  try {
    if (options.ack !== undefined) {
      if (!options.cause) throw new Error("--ack needs --cause TEXT (the assignable cause found)");
      const updated = await db.rows(
        `UPDATE spc_alarms SET acknowledged_by = $2, acknowledged_at = now()::TIMESTAMP, assignable_cause = $3
         WHERE alarm_id = $1 RETURNING alarm_id`,
        [options.ack, options.by ?? Deno.env.get("USER") ?? "unknown", options.cause],
      );
      if (updated.length === 0) throw new Error(`no alarm ${options.ack}`);
      log(`alarm ${options.ack} acknowledged`);
      return;
    }
    const reader = await db.conn.runAndReadAll(
      `SELECT alarm_id, model, metric, rule, description, strftime(first_at, '%Y-%m-%d %H:%M') AS first_at,
              strftime(last_at, '%Y-%m-%d %H:%M') AS last_at, points, acknowledged_by, assignable_cause
       FROM spc_alarms ${options.all ? "" : "WHERE acknowledged_at IS NULL"} ORDER BY alarm_id`,
    );
    console.log(
      formatRows(reader.columnNames(), reader.getRows().map((r) => r.map(plainValue)), options.format),
    );
  } finally {
    db.close();
  }
}

/** `lta capability`: Cp/Cpk/Pp/Ppk per model (or model and track). */
export async function capabilityCommand(
  options: { model?: string; since?: string; byTrack?: boolean; format: OutputFormat },
  config: Config,
): Promise<void> {
  const db = await Database.open(config.db, { readOnly: true });
  try {
    const rows = await capability(db, { ...options, minN: config.capabilityMinN });
    const columns = rows.length ? Object.keys(rows[0]) : ["model"];
    const round = (
      v: unknown,
    ) => (typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v);
    console.log(
      formatRows(columns, rows.map((r) => columns.map((c) => round(r[c as keyof typeof r]))), options.format),
    );
  } finally {
    db.close();
  }
}
