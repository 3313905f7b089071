/**
 * The nightly report: one self-contained folder `<reportsDir>/<YYYY-MM-DD>/` with `index.html` (summary per
 * model, failing tracks, capability, open alarms, trend charts inline), the same as `report.pdf`, and
 * `tracks/*.svg` for the failing tracks it links to. Reads only.
 */
import { join } from "node:path";
import type { Queryable as Database } from "../db/database.ts";
import { modelTrendSvgs } from "./model_trends.ts";
import { addDays } from "../days.ts";
import { capabilityTable, openAlarmsTable, summaryTable, type Table } from "./report_tables.ts";
import { reportHtml, reportPdf } from "./report_formats.ts";
import { trackChartData, trackChartSvg } from "./track_chart.ts";
import { driftChartSvg, imrChartSvg } from "./spc_charts.ts";
import { seriesOf } from "../analyze/spc.ts";

export interface ReportOptions {
  /** The day reported on (tracks tested that day), `YYYY-MM-DD`. */
  date: string;
  reportsDir: string;
  /** Days of history in the trend charts. */
  trendDays?: number;
  /** At most this many failing-track charts are drawn (the rest are listed). */
  maxTrackCharts?: number;
  /** The drift baseline (points), as configured for SPC. */
  spcBaseline?: number;
  /** Capability is not rated below this many samples. */
  capabilityMinN?: number;
  /** Only this station's files: the folder is `<date>_<station>`. */
  station?: string;
}

export interface ReportResult {
  dir: string;
  index: string;
  pdf: string;
  models: number;
  tracks: number;
  trackCharts: number;
}

/** A file-system-safe name. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
}

/** What the report shows, in the HTML page and the PDF alike. */
export interface ReportContent {
  date: string;
  days: number;
  tracks: number;
  summary: Table;
  /** The failing tracks; `charts[i]` names row i's chart file under `tracks/`, or `null`. */
  failing: Table & { charts: Array<string | null> };
  capability: Table;
  alarms: Table;
  sections: Array<{ model: string; charts: string[] }>;
}

/** Builds the report folder for `options.date`: index.html, report.pdf and the failing tracks' charts. */
export async function buildReport(db: Database, options: ReportOptions): Promise<ReportResult> {
  const days = options.trendDays ?? 30;
  const station = options.station ?? null;
  const dir = join(options.reportsDir, station ? `${options.date}_${safeName(station)}` : options.date);
  await Deno.mkdir(join(dir, "tracks"), { recursive: true });
  const summary = await summaryTable(db, options.date, station);
  const failing = await failingRows(db, dir, options);
  const sections = [];
  for (const [model] of summary.rows) {
    if (model !== "(unknown)") sections.push({ model, charts: await modelCharts(db, model, options, days) });
  }
  const content: ReportContent = {
    date: station ? `${options.date} (station ${station})` : options.date,
    days,
    tracks: summary.rows.reduce((n, s) => n + Number(s[2]), 0),
    summary,
    failing,
    capability: await capabilityTable(
      db,
      addDays(options.date, 1 - days),
      options.date,
      options.capabilityMinN ?? 30,
      station,
    ),
    alarms: await openAlarmsTable(db, station),
    sections,
  };
  const index = join(dir, "index.html");
  const pdf = join(dir, "report.pdf");
  await Deno.writeTextFile(index, reportHtml(content));
  await Deno.writeFile(pdf, await reportPdf(content));
  return {
    dir,
    index,
    pdf,
    models: summary.rows.length,
    tracks: content.tracks,
    trackCharts: failing.charts.filter(Boolean).length,
  };
}

/** The failing tracks of the day, each FAIL's chart written to `tracks/` (at most `maxTrackCharts`). */
async function failingRows(
  db: Database,
  dir: string,
  options: ReportOptions,
): Promise<ReportContent["failing"]> {
  const failing = await db.rows(
    `SELECT file_id, track_id, file_name, model, serial, overall_status, status_reason
     FROM v_tracks WHERE test_date::DATE = $1::DATE AND overall_status IN ('FAIL', 'ERROR')
       AND ($2::VARCHAR IS NULL OR station = $2)
     ORDER BY model, file_name, track_id`,
    [options.date, options.station ?? null],
  );
  const charts: Array<string | null> = [];
  for (const f of failing) {
    let name: string | null = null;
    if (f.overall_status === "FAIL" && charts.filter(Boolean).length < (options.maxTrackCharts ?? 500)) {
      const data = await trackChartData(db, Number(f.file_id), String(f.track_id));
      if (data) {
        name = `${safeName(String(f.file_name))}_${safeName(String(f.track_id))}.svg`;
        await Deno.writeTextFile(join(dir, "tracks", name), await trackChartSvg(data));
      }
    }
    charts.push(name);
  }
  const text = (v: unknown) => String(v ?? "");
  return {
    header: ["model", "serial", "file", "track", "status", "reason"],
    rows: failing.map((f) =>
      [f.model, f.serial, f.file_name, f.track_id, f.overall_status, f.status_reason].map(text)
    ),
    charts,
  };
}

/** A model's charts: its trends, I-MR charts of both metrics, and the drift chart. */
async function modelCharts(
  db: Database,
  model: string,
  options: ReportOptions,
  days: number,
): Promise<string[]> {
  const charts = await modelTrendSvgs(db, {
    model,
    from: addDays(options.date, 1 - days),
    to: options.date,
    label: `last ${days} days to ${options.date}`,
    station: options.station ?? null,
  });
  const all = await seriesOf(db, [model]);
  for (const series of options.station ? all.filter((s) => s.station === options.station) : all) {
    for (const metric of ["sigma_gradient", "linearity_error"] as const) {
      const imr = await imrChartSvg(db, series, metric);
      if (imr) charts.push(imr);
    }
    const drift = await driftChartSvg(db, series, options.spcBaseline ?? 30);
    if (drift) charts.push(drift);
  }
  return charts;
}
