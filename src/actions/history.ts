/**
 * The history commands a person runs while the plant works (SPC now, capability, a chart, a report, an
 * Excel export, a re-analysis), as functions of an open database. `lta` calls them on the file when no
 * service runs; the service calls them from its routes, in its exclusive turn where they write.
 */
import type { Config } from "../config/config.ts";
import type { Database, Queryable } from "../db/database.ts";
import { capability } from "../analyze/capability.ts";
import { type AnalyzeSummary, analyzeTracks, type TrackSelection } from "../analyze/analyze.ts";
import { localDate } from "../schedule/jobs.ts";
import type { Table } from "./alarms.ts";
import { ActionError } from "./errors.ts";

/** Runs `work` when the database is free for writing (the service's exclusive turn; at once elsewhere). */
export type Exclusive = <T>(work: () => Promise<T>) => Promise<T>;

export const atOnce: Exclusive = (work) => work();

export { spcNow, type SpcRequest } from "./spc_actions.ts";

export interface CapabilityRequest {
  model?: string;
  since?: string;
  byTrack?: boolean;
}

/** Capability per model (or model and track), rounded to 4 significant digits, with its notes. */
export async function capabilityTable(
  db: Queryable,
  config: Config,
  request: CapabilityRequest,
): Promise<Table> {
  // Normality reads every value: for one model, not all of them.
  const rows = await capability(db, { ...request, minN: config.capabilityMinN, normality: !!request.model });
  const columns = rows.length ? Object.keys(rows[0]) : ["model"];
  const round = (v: unknown) =>
    Array.isArray(v)
      ? v.join("; ")
      : typeof v === "number" && !Number.isInteger(v)
      ? Number(v.toPrecision(4))
      : v;
  return { columns, rows: rows.map((r) => columns.map((c) => round(r[c as keyof typeof r]))) };
}

/** One track's chart as SVG; `ref` is a file name or file id, `trackId` defaults to its first track. */
export async function trackChart(
  db: Queryable,
  ref: string,
  trackId: string | undefined,
): Promise<{ fileName: string; trackId: string; svg: string }> {
  const { findFile, trackChartData, trackChartSvg } = await import("../render/track_chart.ts");
  const file = await findFile(db, ref);
  if (!file) throw new ActionError("not_found", `no loaded file named or numbered "${ref}"`);
  const tracks =
    (await db.rows("SELECT track_id FROM tracks WHERE file_id = $1 ORDER BY track_id", [file.fileId]))
      .map((r) => String(r.track_id));
  const track = trackId ?? tracks[0];
  if (!track || !tracks.includes(track)) {
    throw new ActionError(
      "not_found",
      `${file.fileName} has no analysed track "${trackId}"; its tracks: ${tracks.join(", ") || "none"}`,
    );
  }
  return {
    fileName: file.fileName,
    trackId: track,
    svg: await trackChartSvg((await trackChartData(db, file.fileId, track))!),
  };
}

/** The report folder of `date` (default: yesterday in the plant's time zone) under `config.reportsDir`. */
export async function reportFor(db: Queryable, config: Config, date?: string, station?: string) {
  const { buildReport } = await import("../render/report.ts");
  const day = date ?? localDate(new Date(Date.now() - 86_400_000), config.timeZone);
  return await buildReport(db, {
    date: day,
    reportsDir: config.reportsDir,
    spcBaseline: config.spcBaseline,
    capabilityMinN: config.capabilityMinN,
    station,
  });
}

export interface ExcelRequest {
  model?: string;
  /** Only files from this station. */
  station?: string;
  /** Tracks tested from this day, `YYYY-MM-DD`. */
  since?: string;
  /** Tracks tested through this day, `YYYY-MM-DD`. */
  until?: string;
}

/** The engineers' workbook written to `out`; returns its track count. */
export async function excelExport(
  db: Queryable,
  config: Config,
  out: string,
  request: ExcelRequest,
): Promise<number> {
  if (request.since && request.until && request.until < request.since) {
    throw new ActionError("bad_request", `--until ${request.until} is before --since ${request.since}`);
  }
  const { exportExcel } = await import("../render/excel.ts");
  return await exportExcel(db, { ...request, out, capabilityMinN: config.capabilityMinN });
}

/**
 * Re-analyses the selected tracks, each batch in the exclusive turn, so the service's ingest goes on
 * between batches.
 */
export async function reanalyze(
  db: Database,
  config: Config,
  selection: TrackSelection,
  exclusive: Exclusive,
  onProgress?: (done: number, total: number) => void,
): Promise<AnalyzeSummary> {
  return await analyzeTracks(db, selection, {
    offsetSearch: config.offsetSearch,
    nearMissPct: config.nearMissPct,
    onProgress,
    exclusive,
  });
}

/** The one-line summary `lta analyze` prints. */
export function analyzeSummaryLine(summary: AnalyzeSummary): string {
  const statuses = Object.entries(summary.byStatus).map(([s, n]) => `${n} ${s}`).join(", ") ||
    "nothing to do";
  return `${summary.tracks} tracks analysed (${statuses}) in ${summary.seconds.toFixed(2)} s`;
}
