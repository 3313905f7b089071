/**
 * Working hours per weekday (`workingHours`), when a station's silence counts: keys are days (`mon`…`sun`),
 * ranges (`mon-fri`) or `daily`; values `HH:MM-HH:MM`, several separated by commas, or `off`. A later key
 * overrides an earlier one for its days. A span past midnight (`22:00-06:00`) covers both ends of its day.
 */
import type { ConfigError } from "./setting_kinds.ts";

/** The setting as written (kept for `lta config`), and per weekday (0 = Sunday) its spans in minutes. */
export type WorkingHours = Record<string, string>;
export type Span = { from: number; to: number };

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const EXPECTED =
  'weekdays and their hours, e.g. {"mon-fri": "06:00-22:00", "sat": "06:00-14:00", "sun": "off"}';

/** The spans of each weekday, Sunday first. */
export function spansByWeekday(hours: WorkingHours): Span[][] {
  const week: Span[][] = DAYS.map(() => []);
  for (const [key, value] of Object.entries(hours)) {
    const spans = value.trim() === "off" ? [] : value.split(",").map(span);
    for (const day of days(key)) week[day] = spans;
  }
  return week;
}

function days(key: string): number[] {
  const k = key.trim().toLowerCase();
  if (k === "daily") return [0, 1, 2, 3, 4, 5, 6];
  const [a, b] = k.split("-").map((d) => DAYS.indexOf(d.slice(0, 3)));
  if (a < 0 || (b !== undefined && b < 0)) throw new Error(`"${key}" is not a weekday or range`);
  if (b === undefined) return [a];
  const out = [];
  for (let d = a;; d = (d + 1) % 7) {
    out.push(d);
    if (d === b) return out;
  }
}

function span(text: string): Span {
  const m = /^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-4]):([0-5]\d)\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not HH:MM-HH:MM`);
  return { from: Number(m[1]) * 60 + Number(m[2]), to: Number(m[3]) * 60 + Number(m[4]) };
}

/** The setting checked (every key and span parses). */
export function parseWorkingHours(value: unknown, bad: (expected: string) => ConfigError): WorkingHours {
  let v = value;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      throw bad(EXPECTED);
    }
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(EXPECTED);
  const hours = v as Record<string, unknown>;
  if (Object.values(hours).some((x) => typeof x !== "string")) throw bad(EXPECTED);
  try {
    spansByWeekday(hours as WorkingHours);
  } catch (e) {
    throw bad(`${EXPECTED} (${(e as Error).message})`);
  }
  return hours as WorkingHours;
}
