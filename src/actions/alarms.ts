/**
 * Listing and acknowledging SPC alarms: the same functions for `lta alarms` on a stopped service's file and
 * for the running service's routes, so both print and store the same.
 */
import type { Database, Queryable } from "../db/database.ts";
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
];

/** Open alarms (neither acknowledged nor cleared; every alarm with `all`), oldest first. */
export async function listAlarms(db: Queryable, all: boolean): Promise<Table> {
  const rows = await db.rows(
    `SELECT alarm_id, kind, severity, model, station, metric, rule, description,
            strftime(first_at, '%Y-%m-%d %H:%M') AS first_at, strftime(last_at, '%Y-%m-%d %H:%M') AS last_at, points,
            acknowledged_by, assignable_cause
     FROM v_alarms ${all ? "" : "WHERE acknowledged_at IS NULL AND cleared_at IS NULL"} ORDER BY alarm_id`,
  );
  return { columns: ALARM_COLUMNS, rows: rows.map((r) => ALARM_COLUMNS.map((c) => r[c])) };
}

export interface Acknowledgement {
  alarmId: number;
  cause: string;
  by: string;
  /** Free text beside the cause (what was found, what was done). */
  note?: string;
}

/**
 * Records who found which assignable cause for alarm `alarmId`. A later acknowledgement (a corrected
 * cause) is added to the alarm's history; the alarm shows the newest. Both in one transaction.
 */
export async function acknowledgeAlarm(db: Database, ack: Acknowledgement): Promise<void> {
  if (!ack.cause.trim()) {
    throw new ActionError("bad_request", "an acknowledgement needs the assignable cause");
  }
  const note = ack.note?.trim() || null;
  const shown = note ? `${ack.cause}: ${note}` : ack.cause;
  await db.transaction(async () => {
    let changed = 0;
    for (const table of ["spc_alarms", "health_alarms"]) {
      changed += await db.exec(
        `UPDATE ${table} SET acknowledged_by = $2, acknowledged_at = now()::TIMESTAMP, assignable_cause = $3
         WHERE alarm_id = $1`,
        [ack.alarmId, ack.by, shown],
      );
    }
    if (changed === 0) throw new ActionError("not_found", `no alarm ${ack.alarmId}`);
    await db.exec(
      `INSERT INTO alarm_acknowledgements
     SELECT alarm_id, acknowledged_at, acknowledged_by, $2, $3 FROM v_alarms WHERE alarm_id = $1`,
      [ack.alarmId, ack.cause, note],
    );
  });
}
