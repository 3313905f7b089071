/** An alarm list's filters from text (a query string, the CLI's options): the same for `/alarms`, `GET /api/alarms` and `lta alarms`. */
import type { AlarmFilter } from "../db/alarm_reads.ts";

const SHOWN = ["open", "acknowledged", "resolved", "all"] as const;

/** `show` (or the API's older `all=1`), `model`, `rule`, `station`, `kind`, `severity`, `from` (a day). */
export function alarmFilterOf(q: Record<string, string>, limit: number, offset: number): AlarmFilter {
  const show = (SHOWN as readonly string[]).includes(q.show)
    ? q.show as AlarmFilter["show"]
    : q.all === "1"
    ? "all"
    : "open";
  return {
    show,
    model: q.model || null,
    rule: q.rule || null,
    station: q.station || null,
    kind: q.kind || null,
    severity: q.severity || null,
    from: /^\d{4}-\d{2}-\d{2}$/.test(q.from ?? "") ? q.from : null,
    limit,
    offset,
  };
}

/** What one request to `/api/alarms` may return: `limit` 1–500 (100 by default), from `offset`. */
export function apiPage(q: Record<string, string>): { limit: number; offset: number } {
  const limit = Number(q.limit ?? 100);
  const offset = Number(q.offset ?? 0);
  return {
    limit: Number.isInteger(limit) && limit >= 1 ? Math.min(limit, 500) : 100,
    offset: Number.isInteger(offset) && offset >= 0 ? offset : 0,
  };
}
