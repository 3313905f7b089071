/** The plant's wall clock for quiet hours, digests and working hours: a day and a minute in a time zone. */

export interface LocalClock {
  /** `YYYY-MM-DD` in the zone. */
  day: string;
  /** Minutes after local midnight. */
  minutes: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

export function localClock(at: Date, timeZone: string): LocalClock {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
      hourCycle: "h23",
    }).formatToParts(at).map((p) => [p.type, p.value]),
  );
  return {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    weekday: WEEKDAYS.indexOf(parts.weekday),
  };
}

/** Whether `minutes` after midnight falls in `from`…`to` (a span past midnight wraps, e.g. 22:00-06:00). */
export function withinSpan(span: { from: number; to: number }, minutes: number): boolean {
  return span.from <= span.to
    ? minutes >= span.from && minutes < span.to
    : minutes >= span.from || minutes < span.to;
}
