/**
 * Listing, acknowledging and resolving alarms: the same functions for `lta alarms` on a stopped service's
 * file and for the running service's routes, so both print and store the same. Every acknowledgement and
 * resolution is a row of `alarm_acknowledgements`; none is ever overwritten.
 */
import type { Database, Queryable } from "../db/database.ts";
import { type AlarmFilter, alarmList } from "../db/alarm_reads.ts";
import { ActionError } from "./errors.ts";

/** Rows ready to print: column names and one array per row. */
export interface Table {
  columns: string[];
  rows: unknown[][];
}

const ALARM_COLUMNS = [
  "alarm_id",
  "kind",
  "severity",
  "model",
  "station",
  "metric",
  "rule",
  "description",
  "first_at",
  "last_at",
  "points",
  "acknowledged_by",
  "assignable_cause",
  "corrective_action",
];

/** A page of alarms, newest first, and where the next page starts (`null`: this was the last). */
export async function listAlarms(
  db: Queryable,
  filter: AlarmFilter,
): Promise<Table & { limit: number; offset: number; next_offset: number | null }> {
  const offset = filter.offset ?? 0;
  const rows = await alarmList(db, { ...filter, limit: filter.limit + 1, offset });
  const more = rows.length > filter.limit;
  return {
    columns: ALARM_COLUMNS,
    rows: rows.slice(0, filter.limit).map((r) => ALARM_COLUMNS.map((c) => r[c])),
    limit: filter.limit,
    offset,
    next_offset: more ? offset + filter.limit : null,
  };
}

export interface Acknowledgement {
  alarmId: number;
  cause: string;
  by: string;
  /** Free text beside the cause (what was found). */
  note?: string;
}

/**
 * Records who found which assignable cause for alarm `alarmId`. A later acknowledgement (a corrected
 * cause) is added to the alarm's history; the alarm shows the newest. Both in one transaction.
 */
export async function acknowledgeAlarm(db: Database, ack: Acknowledgement): Promise<void> {
  await record(db, ack, null);
}

/**
 * Closes alarm `alarmId` with the corrective action taken (and the cause behind it): it leaves the open
 * alarms, and its history gains the resolution.
 */
export async function resolveAlarm(db: Database, ack: Acknowledgement & { action: string }): Promise<void> {
  if (!ack.action.trim()) {
    throw new ActionError("bad_request", "resolving an alarm needs the corrective action taken");
  }
  await record(db, ack, ack.action.trim());
}

async function record(db: Database, ack: Acknowledgement, action: string | null): Promise<void> {
  if (!ack.cause.trim()) {
    throw new ActionError("bad_request", "an acknowledgement needs the assignable cause");
  }
  const note = ack.note?.trim() || null;
  const shown = note ? `${ack.cause}: ${note}` : ack.cause;
  await db.transaction(async () => {
    let changed = 0;
    for (const table of ["spc_alarms", "health_alarms"]) {
      changed += await db.exec(
        `UPDATE ${table} SET acknowledged_by = $2, acknowledged_at = now()::TIMESTAMP, assignable_cause = $3,
           resolved_by = CASE WHEN $4::VARCHAR IS NULL THEN resolved_by ELSE $2 END,
           resolved_at = CASE WHEN $4::VARCHAR IS NULL THEN resolved_at ELSE now()::TIMESTAMP END,
           corrective_action = coalesce($4::VARCHAR, corrective_action)
         WHERE alarm_id = $1`,
        [ack.alarmId, ack.by, shown, action],
      );
    }
    if (changed === 0) throw new ActionError("not_found", `no alarm ${ack.alarmId}`);
    await db.exec(
      `INSERT INTO alarm_acknowledgements
         (alarm_id, acknowledged_at, acknowledged_by, assignable_cause, note, action, corrective_action)
       SELECT alarm_id, acknowledged_at, acknowledged_by, $2, $3, $4, $5 FROM v_alarms WHERE alarm_id = $1`,
      [ack.alarmId, ack.cause, note, action === null ? "acknowledge" : "resolve", action],
    );
  });
}
