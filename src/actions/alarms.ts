/**
 * Listing and acknowledging SPC alarms: the same functions for `lta alarms` on a stopped service's file and
 * for the running service's routes, so both print and store the same.
 */
import type { Queryable } from "../db/database.ts";
import { ActionError } from "./errors.ts";

/** Rows ready to print: column names and one array per row. */
export interface Table {
  columns: string[];
  rows: unknown[][];
}

const ALARM_COLUMNS = [
  "alarm_id",
  "model",
  "metric",
  "rule",
  "description",
  "first_at",
  "last_at",
  "points",
  "acknowledged_by",
  "assignable_cause",
];

/** Open alarms (every alarm with `all`), oldest first. */
export async function listAlarms(db: Queryable, all: boolean): Promise<Table> {
  const rows = await db.rows(
    `SELECT alarm_id, model, metric, rule, description, strftime(first_at, '%Y-%m-%d %H:%M') AS first_at,
            strftime(last_at, '%Y-%m-%d %H:%M') AS last_at, points, acknowledged_by, assignable_cause
     FROM spc_alarms ${all ? "" : "WHERE acknowledged_at IS NULL"} ORDER BY alarm_id`,
  );
  return { columns: ALARM_COLUMNS, rows: rows.map((r) => ALARM_COLUMNS.map((c) => r[c])) };
}

export interface Acknowledgement {
  alarmId: number;
  cause: string;
  by: string;
}

/** Records who found which assignable cause for alarm `alarmId`. */
export async function acknowledgeAlarm(db: Queryable, ack: Acknowledgement): Promise<void> {
  if (!ack.cause.trim()) {
    throw new ActionError("bad_request", "an acknowledgement needs the assignable cause");
  }
  const changed = await db.exec(
    `UPDATE spc_alarms SET acknowledged_by = $2, acknowledged_at = now()::TIMESTAMP, assignable_cause = $3
     WHERE alarm_id = $1`,
    [ack.alarmId, ack.by, ack.cause],
  );
  if (changed === 0) throw new ActionError("not_found", `no alarm ${ack.alarmId}`);
}
