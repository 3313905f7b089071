/**
 * The report's tables beside its charts: capability per model over the trend window (Cpk with its 95%
 * interval and rating) and the alarms still open, as HTML rows.
 */
import { capability } from "../analyze/capability.ts";
import { alarmList } from "../db/alarm_reads.ts";
import type { Queryable } from "../db/database.ts";
import { escapeXml } from "./svg.ts";

const fixed = (x: number | null) => (x === null || !Number.isFinite(x) ? "—" : x.toFixed(2));

/** The capability table of every model tested in `from`…`to`. */
export async function capabilityTable(
  db: Queryable,
  from: string,
  to: string,
  minN: number,
): Promise<string> {
  const rows = await capability(db, { since: from, until: to, minN });
  if (rows.length === 0) return "<p>No analysable tracks in the window.</p>";
  const body = rows.map((c) =>
    `<tr><td>${escapeXml(c.model)}</td><td>${c.metric.replace("_", " ")}</td><td class="num">${c.n}</td>` +
    `<td class="num">${fixed(c.cpk)}</td><td class="num">${
      c.cpk_ci_low === null ? "—" : `${fixed(c.cpk_ci_low)} – ${fixed(c.cpk_ci_high)}`
    }</td><td class="num">${fixed(c.ppk)}</td><td>${escapeXml(c.rating)}</td></tr>`
  );
  return `<table><thead><tr><th>model</th><th>metric</th><th>n</th><th>Cpk</th><th>Cpk 95% CI</th><th>Ppk</th>
<th>rating</th></tr></thead><tbody>
${body.join("\n")}
</tbody></table>`;
}

/** The open alarms, newest first (at most 100). */
export async function openAlarmsTable(db: Queryable): Promise<string> {
  const alarms = await alarmList(db, { show: "open", model: null, rule: null, from: null, limit: 100 });
  if (alarms.length === 0) return "<p>No open alarms.</p>";
  const body = alarms.map((a) =>
    `<tr><td class="num">${a.alarm_id}</td><td>${escapeXml(String(a.model))}</td><td>${
      escapeXml(`${a.metric} · ${a.rule}`)
    }</td><td>${escapeXml(String(a.description))}</td><td>${a.first_at} → ${a.last_at}</td></tr>`
  );
  return `<table><thead><tr><th>alarm</th><th>model</th><th>metric · rule</th><th>what</th><th>first → last</th>
</tr></thead><tbody>
${body.join("\n")}
</tbody></table>`;
}
