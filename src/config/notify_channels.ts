/**
 * Where alarms are sent (`notifyChannels`): each channel is a webhook (generic JSON, or a payload Microsoft
 * Teams or Slack incoming webhooks accept) or SMTP mail, with the alarms it wants, its quiet hours and an
 * optional daily digest. Checked here once, so a typo fails at start and not at the first alarm.
 */
import type { ConfigError } from "./setting_kinds.ts";

export type AlarmSeverity = "high" | "medium" | "low";

export interface ChannelFilter {
  /** Alarm kinds: `spc`, `drift`, `silence`, `quarantine_rate`, `nightly_job`, `memory` (none: all). */
  kinds: string[];
  models: string[];
  stations: string[];
  severities: AlarmSeverity[];
}

interface ChannelBase extends ChannelFilter {
  name: string;
  /** Local times `HH:MM-HH:MM` in `timeZone` when nothing is sent; what comes in them waits for their end. */
  quietHours: { from: number; to: number } | null;
  /** Local time `HH:MM`: the channel gets one message a day listing the alarms since the last one. */
  digestAt: number | null;
}

export interface WebhookChannel extends ChannelBase {
  type: "webhook";
  url: string;
  format: "json" | "teams" | "slack";
}

export interface MailChannel extends ChannelBase {
  type: "smtp";
  host: string;
  port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user: string;
  password: string;
  from: string;
  to: string[];
}

export type Channel = WebhookChannel | MailChannel;

const KINDS = ["spc", "drift", "silence", "quarantine_rate", "nightly_job", "memory"];
const SEVERITIES: AlarmSeverity[] = ["high", "medium", "low"];
const EXAMPLE =
  '[{"name": "quality", "type": "smtp", "host": "mail.plant.local", "from": "lta@plant.local", "to": ["qe@plant.local"]}, ' +
  '{"name": "teams", "type": "webhook", "format": "teams", "url": "https://…", "kinds": ["spc", "drift"]}]';

/** The channels of `notifyChannels` (a JSON array, or its text from the environment or a flag). */
export function parseChannels(value: unknown, bad: (expected: string) => ConfigError): Channel[] {
  let list = value;
  if (typeof list === "string") {
    try {
      list = JSON.parse(list);
    } catch {
      throw bad(`a JSON array of channels, e.g. ${EXAMPLE}`);
    }
  }
  if (!Array.isArray(list)) throw bad(`an array of channels, e.g. ${EXAMPLE}`);
  const channels = list.map((c, i) => channel(c, (what) => bad(`channels whose #${i + 1} ${what}`)));
  const names = channels.map((c) => c.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw bad(`channels with distinct names ("${twice}" is used twice)`);
  return channels;
}

type Bad = (what: string) => ConfigError;

function channel(raw: unknown, bad: Bad): Channel {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw bad("is an object");
  const o = raw as Record<string, unknown>;
  const name = text(o.name, "", bad, "name");
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/.test(name)) {
    throw bad('has a "name" of letters, digits, "-", "_" or "." (it names the channel in the delivery log)');
  }
  const base: ChannelBase = {
    name,
    kinds: list(o.kinds, bad, "kinds", (k) => KINDS.includes(k)),
    models: list(o.models, bad, "models", () => true),
    stations: list(o.stations, bad, "stations", () => true),
    severities: list(
      o.severities,
      bad,
      "severities",
      (s) => (SEVERITIES as string[]).includes(s),
    ) as AlarmSeverity[],
    quietHours: quietHours(o.quietHours, bad),
    digestAt: o.digestAt === undefined ? null : clock(o.digestAt, bad, "digestAt"),
  };
  if (o.type === "webhook") {
    const url = text(o.url, "", bad, "url");
    if (!/^https?:\/\/[^\s]+$/.test(url)) throw bad('has a "url" starting with http:// or https://');
    const format = text(o.format, "json", bad, "format");
    if (format !== "json" && format !== "teams" && format !== "slack") {
      throw bad('has a "format" of json, teams or slack');
    }
    return { ...base, type: "webhook", url, format };
  }
  if (o.type === "smtp") {
    const to = list(o.to, bad, "to", (a) => a.includes("@"));
    if (to.length === 0) throw bad('has "to": one or more addresses');
    const from = text(o.from, "", bad, "from");
    if (!from.includes("@")) throw bad('has a "from" address');
    const port = o.port === undefined ? 25 : Number(o.port);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) throw bad('has a "port" from 1 to 65535');
    return {
      ...base,
      type: "smtp",
      host: text(o.host, "", bad, "host") || (() => {
        throw bad('has a "host" (the mail server)');
      })(),
      port,
      secure: o.secure === true,
      user: text(o.user, "", bad, "user"),
      password: text(o.password, "", bad, "password"),
      from,
      to,
    };
  }
  throw bad('has a "type" of webhook or smtp');
}

function text(value: unknown, fallback: string, bad: Bad, key: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== "string") throw bad(`has "${key}" as text`);
  return value.trim();
}

function list(value: unknown, bad: Bad, key: string, ok: (s: string) => boolean): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || !ok(v))) {
    throw bad(
      key === "kinds"
        ? `has "kinds" from ${KINDS.join(", ")}`
        : key === "severities"
        ? `has "severities" from ${SEVERITIES.join(", ")}`
        : `has "${key}" as a list of text`,
    );
  }
  return value as string[];
}

/** `HH:MM` as minutes after midnight. */
function clock(value: unknown, bad: Bad, key: string): number {
  const m = typeof value === "string" ? /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value.trim()) : null;
  if (!m) throw bad(`has "${key}" as a time HH:MM, e.g. "07:00"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function quietHours(value: unknown, bad: Bad): { from: number; to: number } | null {
  if (value === undefined) return null;
  const parts = typeof value === "string" ? value.split("-") : [];
  if (parts.length !== 2) throw bad('has "quietHours" as HH:MM-HH:MM, e.g. "22:00-06:00"');
  return { from: clock(parts[0], bad, "quietHours"), to: clock(parts[1], bad, "quietHours") };
}
