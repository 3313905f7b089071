/**
 * Model, serial, test date and trim note from a trim file's name, by the rules of docs/domain.md
 * ("File names → model, serial, test date"). Names are split on underscores and spaces, never on hyphens.
 */

/** What a trim file's name says about the unit. */
export interface FileNameInfo {
  model: string | null;
  serial: string | null;
  /** Date (and time of day when the name has one), as a local wall-clock value in UTC fields. */
  testDate: Date | null;
  /** Trim status words after the time, e.g. `Trimmed Correct`. */
  trimNote: string | null;
}

const KEYWORDS = new Set([
  "test",
  "data",
  "deg",
  "ta",
  "tb",
  "trimmed",
  "correct",
  "scrap",
  "cut",
  "wiper",
  "path",
  "am",
  "pm",
  "fail",
  "pass",
  "final",
  "template",
  "primary",
  "customer",
  "report",
  "master",
  "noise",
  "copy",
  "of",
  "pre",
  "outer",
  "redundant",
]);

const MODEL_AND_SERIAL = /^(\d{4,}[A-Za-z]?(?:-\d+[A-Za-z]?)?)-?sn(\d+[A-Za-z]?)$/i;
const MODEL_TOKEN = /^\d{4,}[A-Za-z]?(?:-[A-Za-z0-9]+)*$/;
const MODEL_SUFFIX = /^[A-Za-z0-9]{1,3}$/;
const SERIAL_TOKEN = /^[A-Za-z]{0,3}\d+[A-Za-z]{0,2}(?:-[A-Za-z0-9]+)*$/;
const DATE_LIKE = /^\d{1,4}-\d{1,2}-\d{1,4}$/;
const TIME_LIKE = /^\d{1,2}-\d{2}(?:-\d{2})?$/;
const LONG_STAMP = /^\d{8,}/;

/** Parses a trim file name (with or without extension). */
export function parseFileName(fileName: string): FileNameInfo {
  const stem = fileName.replace(/\.[^.]*$/, "");
  const tokens = stem.split(/[_\s]+/).filter((t) => t.length > 0);
  const { model, serial } = modelAndSerial(tokens);
  const { testDate, trimNote } = dateAndNote(stem);
  return { model, serial, testDate, trimNote };
}

function modelAndSerial(tokens: string[]): { model: string | null; serial: string | null } {
  for (const token of tokens) {
    const both = MODEL_AND_SERIAL.exec(token);
    if (both) return { model: both[1], serial: both[2] };
  }
  const at = tokens.findIndex((t) => MODEL_TOKEN.test(t));
  if (at < 0) return { model: null, serial: null };
  const [base, ...groups] = tokens[at].split("-");
  let model = base;
  let serial: string | null = null;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i];
    const fits = (MODEL_SUFFIX.test(g) && !/^shop/i.test(g)) || g.toLowerCase() === "outer";
    if (!fits) {
      serial = groups.slice(i).join("-");
      break;
    }
    model += `-${g}`;
  }
  if (serial === null) serial = serialAfter(tokens, at);
  return { model, serial };
}

function serialAfter(tokens: string[], modelAt: number): string | null {
  for (let i = modelAt + 1; i < tokens.length; i++) {
    const t = tokens[i];
    const lower = t.toLowerCase();
    if (KEYWORDS.has(lower) || lower.startsWith("deg-") && !/^deg-sn/i.test(t)) continue;
    if (/^deg/i.test(tokens[i + 1] ?? "")) continue;
    if (DATE_LIKE.test(t) || TIME_LIKE.test(t) || LONG_STAMP.test(t)) continue;
    const candidate = /^deg-(sn\d+)$/i.exec(t)?.[1] ?? t;
    if (SERIAL_TOKEN.test(candidate)) return candidate;
  }
  return null;
}

function dateAndNote(stem: string): { testDate: Date | null; trimNote: string | null } {
  let date: [number, number, number] | null = null;
  let rest = "";
  const mdy = /(?<![\d-])(\d{1,2})-(\d{1,2})-(\d{4})(?!\d)/.exec(stem);
  if (mdy) {
    date = [Number(mdy[3]), Number(mdy[1]), Number(mdy[2])];
    rest = stem.slice(mdy.index + mdy[0].length);
  } else {
    const iso = /(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)/.exec(stem);
    if (iso && Number(iso[1]) >= 1990 && Number(iso[1]) <= 2100) {
      date = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
      rest = stem.slice(iso.index + iso[0].length);
    }
  }
  if (!date || date[1] < 1 || date[1] > 12 || date[2] < 1 || date[2] > 31) {
    return { testDate: null, trimNote: null };
  }
  let [hour, minute, second] = [0, 0, 0];
  const time = /^[_\s]+(\d{1,2})-(\d{2})(?:-(\d{2}))?\s*(AM|PM)?/i.exec(rest);
  if (time) {
    hour = Number(time[1]) % 12 + (time[4]?.toUpperCase() === "PM" ? 12 : 0);
    if (!time[4]) hour = Number(time[1]);
    minute = Number(time[2]);
    second = Number(time[3] ?? 0);
    rest = rest.slice(time[0].length);
  }
  const note = rest.replace(/[_\s]+/g, " ").trim();
  return {
    testDate: new Date(Date.UTC(date[0], date[1] - 1, date[2], hour, minute, second)),
    trimNote: time && note ? note : null,
  };
}
