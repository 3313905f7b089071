/** The live page at `/`: service state, latest files with their verdicts and charts, pass rates per model. */
import type { Queryable } from "../db/database.ts";
import { escapeXml } from "../render/svg.ts";
import type { ServerContext } from "./context.ts";
import { latestFiles, modelSummaries } from "../db/history_reads.ts";
import { pct } from "../numbers.ts";

/** Renders the page from committed data. */
export async function livePage(r: Queryable, ctx: ServerContext): Promise<string> {
  const files = await latestFiles(r);
  const models = await modelSummaries(r);
  const latestReport = newestReportDay(ctx.config.reportsDir);
  const s = ctx.service;
  const modelRows = models.map((m) =>
    `<tr><td>${escapeXml(String(m.model ?? "(unknown)"))}</td><td>${m.tracks}</td><td>${
      pct(m.pass_rate)
    }</td>` +
    `<td>${m.near_misses}</td></tr>`
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30"><title>lta</title>
<style>
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#212121}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f5f5f5}.PASS{color:#2e7d32}.WARNING{color:#ef6c00}.FAIL,.ERROR{color:#c62828}a.chart{margin-right:8px}
</style></head><body>
<h1>lta — laser-trim history</h1>
<form action="/search" method="get" role="search"><input type="search" name="q" placeholder="serial, model or file name"
 aria-label="search" size="30"> <button>Search</button></form>
<p>Service ${s.stopping ? "stopping" : "running"} since ${new Date(s.startedAt).toISOString()} ·
watcher ${s.watching ? "on" : "off"} · ${s.pending()} file(s) waiting · RSS ${
    (Deno.memoryUsage().rss / 1e6).toFixed(0)
  } MB ·
${
    latestReport
      ? `<a href="/reports/${latestReport}/index.html">latest report (${latestReport})</a>`
      : "no report yet"
  }</p>
<h2>Latest files</h2>
<table><thead><tr><th>id</th><th>file</th><th>model</th><th>serial</th><th>loaded</th><th>tracks (chart)</th></tr></thead><tbody>
${files.map(fileRow).join("\n") || '<tr><td colspan="6">No files yet.</td></tr>'}
</tbody></table>
<h2>Pass rate per model</h2>
<table><thead><tr><th>model</th><th>tracks</th><th>pass rate</th><th>near misses</th></tr></thead><tbody>
${modelRows.join("\n")}
</tbody></table>
</body></html>
`;
}

/** The newest report folder's day, or `null` before the first report. */
function newestReportDay(reportsDir: string): string | null {
  try {
    const days = [...Deno.readDirSync(reportsDir)]
      .filter((e) => e.isDirectory && /^\d{4}-\d{2}-\d{2}$/.test(e.name))
      .map((e) => e.name)
      .sort();
    return days.at(-1) ?? null;
  } catch {
    return null; // no reports yet
  }
}

/** A latest file: its verdict per track, each linked to its chart, or why it was quarantined. */
function fileRow(f: Record<string, unknown>): string {
  const tracks = ((f.tracks as string[] | null) ?? []).map((entry) => {
    const [track, status] = entry.split(":");
    return `<a class="chart ${status}" href="/api/files/${f.file_id}/tracks/${
      encodeURIComponent(track)
    }/chart.svg">` +
      `${escapeXml(track)} ${status}</a>`;
  });
  const verdict = f.status === "quarantined"
    ? `<span class="FAIL">quarantined: ${escapeXml(String(f.reason_code))}</span>`
    : tracks.join(" ");
  return `<tr><td>${f.file_id}</td><td><a href="/files/${f.file_id}">${
    escapeXml(String(f.file_name))
  }</a></td><td>${escapeXml(String(f.model ?? ""))}</td>` +
    `<td>${escapeXml(String(f.serial ?? ""))}</td><td>${f.at}</td><td>${verdict}</td></tr>`;
}
