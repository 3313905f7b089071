/**
 * The history commands (`main.ts` parses arguments and calls these): SPC, alarms, capability, charts,
 * reports and exports. Each runs through the service when one is running on the database, else on the
 * file; either way it prints the same.
 */
import type { Config } from "../config/config.ts";
import { formatRows, type OutputFormat } from "../db/values.ts";
import type { Database } from "../db/database.ts";
import { acknowledgeAlarm, listAlarms, resolveAlarm, type Table } from "../actions/alarms.ts";
import { alarmFilterOf } from "../actions/alarm_filter.ts";
import {
  analyzeSummaryLine,
  atOnce,
  capabilityTable,
  excelExport,
  reanalyze,
  reportFor,
  spcNow,
} from "../actions/history.ts";
import { trackChart } from "../actions/history.ts";
import type { SpcRequest, SpcResult } from "../actions/spc_actions.ts";
import { seriesName, type SpcMetric } from "../analyze/spc_series.ts";
import type { TrackSelection } from "../analyze/analyze.ts";
import type { AnalyzeSummary } from "../analyze/analyze.ts";
import type { ExcelRequest } from "../actions/history.ts";
import type { ExportResult } from "../export/parquet.ts";
import { resolve } from "node:path";
import { ServiceClient } from "./client.ts";
import { log, progressBar } from "./output.ts";
import { openDatabase } from "../db/open.ts";

/** Runs `work` on the database file (opened read-only when `readOnly`), closed afterwards. */
async function onFile<T>(config: Config, readOnly: boolean, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(config, readOnly ? "read" : "write");
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

const query = (params: Record<string, string | boolean | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== false) q.set(k, v === true ? "1" : v);
  }
  return q.size ? `?${q}` : "";
};

/** `lta analyze`: re-analyses the selected tracks with a progress bar. */
export async function analyzeCommand(selection: TrackSelection, config: Config): Promise<void> {
  const service = await ServiceClient.find(config);
  const bar = progressBar(0, "analyze");
  try {
    const summary = service
      ? await service.job(
        "/api/analyze",
        selection,
        (done, total) => bar.update(done, total),
      ) as AnalyzeSummary
      : await onFile(
        config,
        false,
        (db) => reanalyze(db, config, selection, atOnce, (d, t) => bar.update(d, t)),
      );
    bar.stop();
    log(analyzeSummaryLine(summary));
  } finally {
    bar.stop();
  }
}

/** `lta chart`: one track's chart as SVG, to a file or stdout. */
export async function chartCommand(
  ref: string,
  trackId: string | undefined,
  out: string | undefined,
  config: Config,
): Promise<void> {
  const service = await ServiceClient.find(config);
  const svg = service
    ? await (await service.request("GET", `/api/chart${query({ file: ref, track: trackId })}`)).text()
    : (await onFile(config, true, (db) => trackChart(db, ref, trackId))).svg;
  if (out) {
    await Deno.writeTextFile(out, svg);
    log(`wrote ${out}`);
  } else {
    console.log(svg);
  }
}

/** `lta report`: builds the report folder for a day (default: yesterday). */
export async function reportCommand(
  day: { date?: string; station?: string },
  config: Config,
  pdfOnly = false,
): Promise<void> {
  const service = await ServiceClient.find(config);
  const result = service
    ? await service.json("POST", "/api/reports", day)
    : await onFile(config, true, (db) => reportFor(db, config, day.date, day.station));
  if (pdfOnly) {
    console.log(result.pdf);
    return;
  }
  log(
    `wrote ${result.index} and report.pdf: ${result.models} model(s), ${result.tracks} track(s), ${result.trackCharts} chart(s)`,
  );
}

/** `lta export`: the Excel workbook for engineers. */
export async function exportCommand(options: ExcelRequest & { out: string }, config: Config): Promise<void> {
  const { out, ...request } = options;
  const service = await ServiceClient.find(config);
  let tracks: number;
  if (service) {
    const res = await service.request("POST", "/api/exports/xlsx", request);
    tracks = Number(res.headers.get("x-lta-tracks"));
    // Written beside the target, then renamed: a reader never sees half a workbook.
    await Deno.writeFile(`${out}.part`, new Uint8Array(await res.arrayBuffer()));
    await Deno.rename(`${out}.part`, out);
  } else {
    tracks = await onFile(config, true, (db) => excelExport(db, config, out, request));
  }
  log(`wrote ${out}: ${tracks} track(s)`);
}

/**
 * `lta export parquet`: a new export folder in the lake; through the running service when there is one
 * (which exports from a consistent copy), else straight from the database file.
 */
export async function parquetExportCommand(
  options: { out?: string; since?: string },
  config: Config,
): Promise<ExportResult> {
  const service = await ServiceClient.find(config);
  let manifest: ExportResult;
  if (service) {
    if (options.out && resolve(options.out) !== resolve(config.exportDir)) {
      throw new Error(
        `the running service writes exports to its exportDir (${config.exportDir}); drop --out or set exportDir`,
      );
    }
    manifest = await service.json("POST", "/api/export/parquet", { since: options.since });
  } else {
    await openDatabase(config, "read").then((db) => db.close());
    const { exportParquet } = await import("../export/parquet.ts");
    manifest = await exportParquet(config.db, {
      outDir: options.out ?? config.exportDir,
      site: config.site,
      keepDays: config.exportKeepDays,
      since: options.since,
    });
  }
  const rows = Object.entries(manifest.tables).map(([t, v]) => `${v.rows} ${t}`).join(", ");
  log(`wrote export ${manifest.exportId} to ${options.out ?? config.exportDir}: ${rows}`);
  const pruned = manifest.pruned ?? [];
  if (pruned.length) {
    log(
      `removed ${pruned.length} export(s) older than ${config.exportKeepDays} days that a newer one replaces`,
    );
  }
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
  const { runReadOnlyQuery } = await import("../db/readonly_query.ts");
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
export async function spcCommand(options: SpcOptions, config: Config): Promise<void> {
  const request = spcRequest(options);
  const service = await ServiceClient.find(config);
  const result: SpcResult = service
    ? await service.json("POST", "/api/spc", request)
    : await onFile(config, false, (db) => spcNow(db, config, request));
  if (result.excluded !== undefined) log(`file ${result.excluded} left out of ${options.model}'s baselines`);
  for (const r of result.recomputed) {
    log(
      r.why
        ? `${seriesName(r)} ${r.metric}: limits not recomputed: ${r.why}`
        : `${seriesName(r)} ${r.metric}: limits version ${r.version}, centre ${r.centre!.toPrecision(4)}`,
    );
  }
  for (const w of result.withoutLimits) log(`${seriesName(w)} ${w.metric}: no control limits yet: ${w.why}`);
  log(
    `${result.models} model(s) checked, ${result.newAlarms} new alarm(s) (${result.series} series: each track is its own)`,
  );
}

interface SpcOptions {
  model?: string;
  recomputeLimits?: boolean;
  from?: string;
  to?: string;
  points?: number;
  exclude?: number;
  metric?: string;
  reason?: string;
  by?: string;
}

function spcRequest(o: SpcOptions): SpcRequest {
  // spcNow checks the request, for the CLI and the HTTP route alike.
  const by = o.by ?? Deno.env.get("USER") ?? "unknown";
  return {
    model: o.model,
    recompute: o.recomputeLimits
      ? { from: o.from, to: o.to, points: o.points, reason: o.reason ?? "", by }
      : undefined,
    exclude: o.exclude === undefined
      ? undefined
      : { fileId: o.exclude, metric: o.metric as SpcMetric | undefined, reason: o.reason ?? "", by },
  };
}

/** `lta alarms`: lists open alarms (all with `all`), or acknowledges one with its assignable cause. */
export async function alarmsCommand(
  options: {
    all?: boolean;
    ack?: number;
    resolve?: number;
    cause?: string;
    action?: string;
    by?: string;
    model?: string;
    station?: string;
    limit?: number;
    format: OutputFormat;
  },
  config: Config,
): Promise<void> {
  const service = await ServiceClient.find(config);
  const alarmId = options.ack ?? options.resolve;
  if (alarmId !== undefined) {
    const step = options.ack !== undefined ? "ack" : "resolve";
    if (!options.cause) throw new Error(`--${step} needs --cause TEXT (the assignable cause found)`);
    if (step === "resolve" && !options.action) {
      throw new Error("--resolve needs --action TEXT (the corrective action taken)");
    }
    const ack = { alarmId, cause: options.cause, by: options.by ?? Deno.env.get("USER") ?? "unknown" };
    const action = options.action ?? "";
    if (service) {
      await service.json("POST", `/api/alarms/${alarmId}/${step}`, { cause: ack.cause, by: ack.by, action });
    } else {
      await onFile(
        config,
        false,
        (db) => step === "ack" ? acknowledgeAlarm(db, ack) : resolveAlarm(db, { ...ack, action }),
      );
    }
    log(`alarm ${alarmId} ${step === "ack" ? "acknowledged" : "resolved"}`);
    return;
  }
  const limit = options.limit ?? 500;
  const q = { show: options.all ? "all" : "open", model: options.model, station: options.station };
  const table: Table = service
    ? await service.json("GET", `/api/alarms${query({ ...q, limit: String(limit) })}`)
    : await onFile(config, true, (db) => listAlarms(db, alarmFilterOf(definedText(q), limit, 0)));
  console.log(formatRows(table.columns, table.rows, options.format));
}

/** The options given, as a query string carries them. */
const definedText = (o: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => e[1] !== undefined));

/** `lta capability`: Cp/Cpk/Pp/Ppk per model (or model and track). */
export async function capabilityCommand(
  options: { model?: string; since?: string; byTrack?: boolean; format: OutputFormat },
  config: Config,
): Promise<void> {
  const { format, ...request } = options;
  const service = await ServiceClient.find(config);
  const table: Table = service
    ? await service.json("GET", `/api/capability${query(request)}`)
    : await onFile(config, true, (db) => capabilityTable(db, config, request));
  console.log(formatRows(table.columns, table.rows, format));
}
