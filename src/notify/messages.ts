/**
 * What a notification says, in each channel's form: generic JSON, a Microsoft Teams Adaptive Card, a Slack
 * message, or a mail (HTML with the evidence chart inline, and plain text). One alarm, or a digest of many.
 */
import { escapeXml as escapeHtml } from "../render/svg.ts";

type Row = Record<string, unknown>;

/** One alarm as a notification tells it. */
export interface Notice {
  alarm: Row;
  /** The alarm's page. */
  url: string;
  /** The evidence chart (SVG), when the alarm has one. */
  chartSvg: string | null;
}

/** The facts every form shows, in order. */
function facts(a: Row): [string, string][] {
  const shown: [string, unknown][] = [
    ["alarm", a.alarm_id],
    ["severity", a.severity],
    ["kind", a.kind],
    ["model", a.model],
    ["metric", typeof a.metric === "string" ? a.metric.replace("_", " ") : null],
    ["station", a.station],
    ["rule", a.rule],
    ["points", a.points],
    ["first", a.first_at],
    ["last", a.last_at],
  ];
  return shown.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [k, text(v)]);
}

const text = (v: unknown) => v instanceof Date ? v.toISOString().slice(0, 16).replace("T", " ") : String(v);

/** `[lta] high alarm 12: 7063-A — CUSUM: sigma gradient drifting up` */
export function title(a: Row): string {
  const what = a.model ? `${a.model}: ` : a.station ? `station ${a.station}: ` : "";
  return `${a.severity} alarm ${a.alarm_id}: ${what}${a.description}`;
}

/** The JSON body a webhook of `format` posts for `notices` (one alarm, or a digest). */
export function webhookBody(
  format: "json" | "teams" | "slack",
  site: string,
  notices: Notice[],
  digest: boolean,
) {
  const heading = digest
    ? `lta ${site}: ${notices.length} alarm(s) since the last digest`
    : `lta ${site}: ${title(notices[0].alarm)}`;
  if (format === "slack") {
    const lines = notices.map((n) => `• <${n.url}|${title(n.alarm)}>`);
    return {
      text: heading,
      blocks: [
        { type: "header", text: { type: "plain_text", text: heading.slice(0, 150) } },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: digest
              ? lines.join("\n").slice(0, 2900)
              : facts(notices[0].alarm).map(([k, v]) => `*${k}*: ${v}`).join("\n") +
                `\n<${notices[0].url}|Open the alarm>`,
          },
        },
      ],
    };
  }
  if (format === "teams") {
    const body = digest
      ? notices.map((n) => ({ type: "TextBlock", wrap: true, text: `[${title(n.alarm)}](${n.url})` }))
      : [{ type: "FactSet", facts: facts(notices[0].alarm).map(([title, value]) => ({ title, value })) }];
    return {
      type: "message",
      attachments: [{
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [{ type: "TextBlock", size: "Medium", weight: "Bolder", wrap: true, text: heading }, ...body],
          actions: digest ? [] : [{ type: "Action.OpenUrl", title: "Open the alarm", url: notices[0].url }],
        },
      }],
    };
  }
  return {
    source: "lta",
    site,
    event: digest ? "digest" : "alarm",
    alarms: notices.map((n) => ({
      ...Object.fromEntries(facts(n.alarm)),
      alarm: Number(n.alarm.alarm_id),
      description: text(n.alarm.description),
      url: n.url,
      chart_svg: n.chartSvg,
    })),
  };
}

export interface MailMessage {
  subject: string;
  text: string;
  html: string;
  /** The chart, shown inline by `cid:chart`. */
  chartSvg: string | null;
}

/** The mail for one alarm, or a digest of several. */
export function mailMessage(site: string, notices: Notice[], digest: boolean): MailMessage {
  if (digest) {
    const rows = notices.map((n) =>
      `<li><a href="${escapeHtml(n.url)}">${escapeHtml(title(n.alarm))}</a></li>`
    );
    return {
      subject: `[lta ${site}] ${notices.length} alarm(s) since the last digest`,
      text: notices.map((n) => `- ${title(n.alarm)}\n  ${n.url}`).join("\n"),
      html: `<p>${notices.length} alarm(s) since the last digest:</p><ul>${rows.join("")}</ul>`,
      chartSvg: null,
    };
  }
  const [n] = notices;
  const table = facts(n.alarm).map(([k, v]) =>
    `<tr><th align="left">${k}</th><td>${escapeHtml(v)}</td></tr>`
  );
  return {
    subject: `[lta ${site}] ${title(n.alarm)}`,
    text: `${text(n.alarm.description)}\n\n${
      facts(n.alarm).map(([k, v]) => `${k}: ${v}`).join("\n")
    }\n\n${n.url}`,
    html: `<p><strong>${escapeHtml(text(n.alarm.description))}</strong></p><table>${table.join("")}</table>` +
      (n.chartSvg ? `<p><img src="cid:chart" alt="evidence chart" width="640"></p>` : "") +
      `<p><a href="${escapeHtml(n.url)}">Open the alarm</a> to see its points and acknowledge it.</p>`,
    chartSvg: n.chartSvg,
  };
}
