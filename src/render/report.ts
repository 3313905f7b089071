/**
 * The nightly report: one self-contained folder `<reportsDir>/<YYYY-MM-DD>/` with `index.html` (summary per
 * model, trend charts inline) and `tracks/*.svg` for the failing tracks it links to. Reads only.
 */
import { join } from "node:path";
import type { Queryable as Database } from "../db/database.ts";
import { escapeXml } from "./svg.ts";
import { modelTrendSvgs } from "./model_trends.ts";
import { addDays } from "../days.ts";
import { capabilityTable, openAlarmsTable } from "./report_tables.ts";
import { trackChartData, trackChartSvg } from "./track_chart.ts";
import { driftChartSvg, imrChartSvg } from "./spc_charts.ts";

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
}

export interface ReportResult {
  dir: string;
  index: string;
  models: number;
  tracks: number;
  trackCharts: number;
}

interface ModelSummary {
  model: string;
  files: number;
  tracks: number;
  pass_rate: number;
  sigma_pass_rate: number;
  near_misses: number;
  failing: number;
  alarms: number;
}

/** A file-system-safe name. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
}

const pct = (x: unknown) => x === null || x === undefined ? "—" : `${(Number(x) * 100).toFixed(1)}%`;

/** Builds the report folder for `options.date`. */
export async function buildReport(db: Database, options: ReportOptions): Promise<ReportResult> {
  const days = options.trendDays ?? 30;
  const dir = join(options.reportsDir, options.date);
  await Deno.mkdir(join(dir, "tracks"), { recursive: true });
  const summaries = await daySummaries(db, options.date);
  const failing = await failingRows(db, dir, options);
  const sections: string[] = [];
  for (const s of summaries) {
    if (s.model === "(unknown)") continue;
    sections.push(await modelSection(db, s.model, options, days));
  }
  const tracks = summaries.reduce((n, s) => n + Number(s.tracks), 0);
  const index = join(dir, "index.html");
  const from = addDays(options.date, 1 - days);
  const tables = {
    capability: await capabilityTable(db, from, options.date, options.capabilityMinN ?? 30),
    alarms: await openAlarmsTable(db),
  };
  await Deno.writeTextFile(
    index,
    reportHtml({ date: options.date, days, tracks, summaries, failing: failing.rows, sections, tables }),
  );
  return { dir, index, models: summaries.length, tracks, trackCharts: failing.trackCharts };
}

/** One row per model tested on `date`, with its open alarms. */
async function daySummaries(db: Database, date: string): Promise<ModelSummary[]> {
  return (await db.rows(
    `SELECT coalesce(model, '(unknown)') AS model, count(DISTINCT file_id) AS files, count(*) AS tracks,
            avg((overall_status = 'PASS')::INTEGER) AS pass_rate, avg(sigma_pass::INTEGER) AS sigma_pass_rate,
            count(*) FILTER (WHERE near_miss) AS near_misses,
            count(*) FILTER (WHERE overall_status IN ('FAIL', 'ERROR')) AS failing, max(coalesce(a.open, 0)) AS alarms
     FROM v_tracks v
     LEFT JOIN (SELECT model, count(*) AS open FROM spc_alarms WHERE acknowledged_at IS NULL GROUP BY model) a
       USING (model)
     WHERE test_date::DATE = $1::DATE GROUP BY 1 ORDER BY 1`,
    [date],
  )) as unknown as ModelSummary[];
}

/** The failing tracks of the day as table rows, each FAIL linked to its chart (at most `maxTrackCharts`). */
async function failingRows(
  db: Database,
  dir: string,
  options: ReportOptions,
): Promise<{ rows: string[]; trackCharts: number }> {
  const failing = await db.rows(
    `SELECT file_id, track_id, file_name, model, serial, overall_status, status_reason
     FROM v_tracks WHERE test_date::DATE = $1::DATE AND overall_status IN ('FAIL', 'ERROR')
     ORDER BY model, file_name, track_id`,
    [options.date],
  );
  let trackCharts = 0;
  const rows: string[] = [];
  for (const f of failing) {
    let cell = escapeXml(String(f.file_name));
    if (f.overall_status === "FAIL" && trackCharts < (options.maxTrackCharts ?? 500)) {
      const data = await trackChartData(db, Number(f.file_id), String(f.track_id));
      if (data) {
        const name = `${safeName(String(f.file_name))}_${safeName(String(f.track_id))}.svg`;
        await Deno.writeTextFile(join(dir, "tracks", name), await trackChartSvg(data));
        cell = `<a href="tracks/${encodeURIComponent(name)}">${cell}</a>`;
        trackCharts++;
      }
    }
    rows.push(
      `<tr><td>${escapeXml(String(f.model ?? ""))}</td><td>${escapeXml(String(f.serial ?? ""))}</td>` +
        `<td>${cell}</td><td>${escapeXml(String(f.track_id))}</td>` +
        `<td class="${f.overall_status}">${f.overall_status}</td>` +
        `<td>${escapeXml(String(f.status_reason ?? ""))}</td></tr>`,
    );
  }
  return { rows, trackCharts };
}

/** A model's section: its trend charts, I-MR charts of both metrics, and the drift chart. */
async function modelSection(
  db: Database,
  model: string,
  options: ReportOptions,
  days: number,
): Promise<string> {
  const charts = await modelTrendSvgs(db, {
    model,
    from: addDays(options.date, 1 - days),
    to: options.date,
    label: `last ${days} days to ${options.date}`,
  });
  for (const metric of ["sigma_gradient", "linearity_error"] as const) {
    const imr = await imrChartSvg(db, model, metric);
    if (imr) charts.push(imr);
  }
  const drift = await driftChartSvg(db, model, options.spcBaseline ?? 30);
  if (drift) charts.push(drift);
  return `<section><h2>${escapeXml(model)}</h2>${
    charts.map((c) => `<figure>${c}</figure>`).join("")
  }</section>`;
}

/** The report page around its parts. */
function reportHtml(
  r: {
    date: string;
    days: number;
    tracks: number;
    summaries: ModelSummary[];
    failing: string[];
    sections: string[];
    tables: { capability: string; alarms: string };
  },
): string {
  const summaryRows = r.summaries.map((s) =>
    `<tr><td>${escapeXml(s.model)}</td><td>${s.files}</td><td>${s.tracks}</td><td>${pct(s.pass_rate)}</td>` +
    `<td>${
      pct(s.sigma_pass_rate)
    }</td><td>${s.near_misses}</td><td>${s.failing}</td><td>${s.alarms}</td></tr>`
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lta report ${r.date}</title>
<style>
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#212121}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f5f5f5}.FAIL{color:#c62828;font-weight:bold}.ERROR{color:#616161;font-weight:bold}
figure{margin:12px 0}section{margin-top:28px}td.num{text-align:right}
svg{max-width:100%;height:auto}
</style></head><body>
<h1>Laser-trim report for ${r.date}</h1>
<p>${r.tracks} track(s) tested on ${r.date}, ${r.summaries.length} model(s). Trend charts cover the last ${r.days} days.</p>
<h2>Summary per model</h2>
<table><thead><tr><th>model</th><th>files</th><th>tracks</th><th>pass rate</th><th>sigma pass rate</th>
<th>near misses</th><th>failing</th><th>open SPC/drift alarms</th></tr></thead><tbody>
${summaryRows.join("\n")}
</tbody></table>
<h2>Failing tracks</h2>
${
    r.failing.length
      ? `<table><thead><tr><th>model</th><th>serial</th><th>file</th><th>track</th><th>status</th><th>reason</th></tr></thead><tbody>
${r.failing.join("\n")}
</tbody></table>`
      : "<p>None.</p>"
  }
<h2>Capability over the last ${r.days} days</h2>
${r.tables.capability}
<h2>Open SPC and drift alarms</h2>
${r.tables.alarms}
${r.sections.join("\n")}
</body></html>
`;
}
