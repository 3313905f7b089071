/** The report's content as its HTML page and as its PDF (the same sections, in the same order). */
import { type PdfBlock, pdfBytes } from "./pdf.ts";
import type { ReportContent } from "./report.ts";
import { tableHtml } from "./report_tables.ts";
import { escapeXml } from "./svg.ts";

const STYLE = `
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#212121}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f5f5f5}.FAIL{color:#c62828;font-weight:bold}.ERROR{color:#616161;font-weight:bold}
figure{margin:12px 0}section{margin-top:28px}svg{max-width:100%;height:auto}
@media print{figure{break-inside:avoid}a.pdf{display:none}}
`;

/** The report's `index.html`. */
export function reportHtml(r: ReportContent): string {
  const failing = tableHtml(r.failing, "None.", (row, col, html) => {
    if (col === 2 && r.failing.charts[row]) {
      return `<a href="tracks/${encodeURIComponent(r.failing.charts[row]!)}">${html}</a>`;
    }
    return col === 4 ? `<span class="${html}">${html}</span>` : html;
  });
  const sections = r.sections.map((s) =>
    `<section><h2>${escapeXml(s.model)}</h2>${
      s.charts.map((c) => `<figure>${c}</figure>`).join("")
    }</section>`
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lta report ${r.date}</title>
<style>${STYLE}</style></head><body>
<h1>Laser-trim report for ${r.date}</h1>
<p>${r.tracks} track(s) tested on ${r.date}, ${r.summary.rows.length} model(s). Trend charts cover the last ${r.days}
days. <a class="pdf" href="report.pdf">PDF</a></p>
<h2>Summary per model</h2>
${tableHtml(r.summary, "No tracks tested that day.")}
<h2>Failing tracks</h2>
${failing}
<h2>Capability over the last ${r.days} days</h2>
${tableHtml(r.capability, "No analysable tracks in the window.")}
<h2>Open SPC and drift alarms</h2>
${tableHtml(r.alarms, "No open alarms.")}
${sections.join("\n")}
</body></html>
`;
}

/** The report as a PDF (A4), charts as vectors. */
export async function reportPdf(r: ReportContent): Promise<Uint8Array> {
  const blocks: PdfBlock[] = [
    { text: `${r.tracks} track(s) tested on ${r.date}. Trend charts cover the last ${r.days} days.` },
    { heading: "Summary per model" },
    r.summary.rows.length ? { table: r.summary } : { text: "No tracks tested that day." },
    { heading: "Failing tracks" },
    r.failing.rows.length ? { table: r.failing } : { text: "None." },
    { heading: `Capability over the last ${r.days} days` },
    r.capability.rows.length ? { table: r.capability } : { text: "No analysable tracks in the window." },
    { heading: "Open SPC and drift alarms" },
    r.alarms.rows.length ? { table: r.alarms } : { text: "No open alarms." },
  ];
  for (const s of r.sections) blocks.push({ heading: s.model }, ...s.charts.map((svg) => ({ svg })));
  return await pdfBytes(`Laser-trim report for ${r.date}`, blocks);
}
