/**
 * The date range every history page filters on, read from the query string: `days=30|90|365|all`, or
 * `from=YYYY-MM-DD` and `to=YYYY-MM-DD`. Days are the station's calendar days (test dates are its local
 * time); "today" is the day in the configured time zone.
 */
import { addDays } from "../days.ts";

/** A checked range: `from` is `null` for all history; `to` is the last day included. */
export interface DateRange {
  from: string | null;
  to: string;
  /** What the page says it shows, e.g. "last 30 days" or "2026-11-01 to 2026-11-30". */
  label: string;
  /** The query-string part that reproduces this range, for links. */
  query: string;
  /** The number of days covered, `null` for all history. */
  days: number | null;
}

export const RANGE_CHOICES = ["30", "90", "365", "all"] as const;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const isDay = (s: string | undefined): s is string => !!s && DAY.test(s) && !Number.isNaN(Date.parse(s));

const daysBetween = (from: string, to: string) =>
  Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;

/** The range a query asks for; anything unreadable falls back to the last 30 days. */
export function dateRange(q: { days?: string; from?: string; to?: string }, today: string): DateRange {
  if (isDay(q.from) || isDay(q.to)) {
    const to = isDay(q.to) ? q.to : today;
    const from = isDay(q.from) && q.from <= to ? q.from : null;
    const query = `${from ? `from=${from}&` : ""}to=${to}`;
    return {
      from,
      to,
      label: from ? `${from} to ${to}` : `everything to ${to}`,
      query,
      days: from ? daysBetween(from, to) : null,
    };
  }
  if (q.days === "all") return { from: null, to: today, label: "all history", query: "days=all", days: null };
  const days = RANGE_CHOICES.includes(q.days as "30") ? Number(q.days) : 30;
  return {
    from: addDays(today, 1 - days),
    to: today,
    label: `last ${days} days`,
    query: `days=${days}`,
    days,
  };
}

/** The range of equal length just before `r` (to compare a trend against); `null` for all history. */
export function previousRange(r: DateRange): { from: string; to: string } | null {
  if (!r.from || !r.days) return null;
  return { from: addDays(r.from, -r.days), to: addDays(r.from, -1) };
}
