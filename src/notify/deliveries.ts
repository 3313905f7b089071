/**
 * The delivery log in the database: which alarms each channel is owed, what is due now, and what each
 * attempt got. The caller holds the writer's exclusive turn for each call; sending happens between
 * them, never while the database is held.
 */
import type { Channel } from "../config/notify_channels.ts";
import type { Database } from "../db/database.ts";

type Row = Record<string, unknown>;

/** An owed delivery: the alarm (a `v_alarms` row) and its channel. */
export interface Owed {
  alarm: Row;
  channel: string;
  attempts: number;
}

/**
 * Records each channel's first sight (alarms raised before it are not sent to it) and writes a delivery
 * row for every newer alarm the channel's filters take: `pending`, or `digest` for a digest channel.
 */
export async function enqueue(db: Database, channels: Channel[], now: Date): Promise<number> {
  if (channels.length === 0) return 0;
  return await db.transaction(async () => {
    await registerChannels(db, channels, now);
    let added = 0;
    for (const c of channels) {
      added += await db.exec(
        `INSERT INTO alarm_deliveries
           SELECT a.alarm_id, $1, $2, 0, $3::TIMESTAMP, NULL, NULL, $3::TIMESTAMP
           FROM v_alarms a
           WHERE a.alarm_id > (SELECT from_alarm_id FROM notify_channels WHERE channel = $1)
             AND a.is_open
             AND (len($4::VARCHAR[]) = 0 OR a.kind = ANY($4::VARCHAR[]))
             AND (len($5::VARCHAR[]) = 0 OR a.model = ANY($5::VARCHAR[]))
             AND (len($6::VARCHAR[]) = 0 OR a.station = ANY($6::VARCHAR[]))
             AND (len($7::VARCHAR[]) = 0 OR a.severity = ANY($7::VARCHAR[]))
             AND NOT EXISTS (SELECT 1 FROM alarm_deliveries d WHERE d.alarm_id = a.alarm_id AND d.channel = $1)`,
        [
          c.name,
          c.digestAt === null ? "pending" : "digest",
          now.toISOString(),
          listParam(c.kinds),
          listParam(c.models),
          listParam(c.stations),
          listParam(c.severities),
        ],
      );
    }
    return added;
  });
}

/** A channel's first sight: alarms up to the newest now are not its to send. */
export async function registerChannels(db: Database, channels: Channel[], now: Date): Promise<void> {
  for (const c of channels) {
    await db.exec(
      `INSERT INTO notify_channels SELECT $1, coalesce((SELECT max(alarm_id) FROM v_alarms), 0), $2::TIMESTAMP, NULL
       ON CONFLICT DO NOTHING`,
      [c.name, now.toISOString()],
    );
  }
}

/** A list as one text parameter (a DuckDB list value leaks under Deno: docs/memory.md). */
const listParam = (xs: string[]) => JSON.stringify(xs);

/** Deliveries of `channel` due at `now`, oldest alarm first. */
export async function dueDeliveries(db: Database, channel: string, now: Date): Promise<Owed[]> {
  const rows = await db.rows(
    `SELECT d.attempts, a.* FROM alarm_deliveries d JOIN v_alarms a USING (alarm_id)
     WHERE d.channel = $1 AND d.status = 'pending' AND d.next_at <= $2::TIMESTAMP ORDER BY alarm_id LIMIT 50`,
    [channel, now.toISOString()],
  );
  return rows.map(({ attempts, ...alarm }) => ({ alarm, channel, attempts: Number(attempts) }));
}

/** The alarms waiting for `channel`'s next digest. */
export async function digestAlarms(db: Database, channel: string): Promise<Row[]> {
  return await db.rows(
    `SELECT a.* FROM alarm_deliveries d JOIN v_alarms a USING (alarm_id)
     WHERE d.channel = $1 AND d.status = 'digest' ORDER BY alarm_id`,
    [channel],
  );
}

/** The local day `channel` last had its digest (`null`: never). */
export async function lastDigestDay(db: Database, channel: string): Promise<string | null> {
  const day = await db.value("SELECT last_digest_day FROM notify_channels WHERE channel = $1", [channel]);
  return day === null || day === undefined ? null : String(day);
}

export interface Outcome {
  ok: boolean;
  detail: string;
}

/**
 * Writes what an attempt got for `alarmIds` on `channel`: sent, or tried again at `retryAt` (`null`: given
 * up, status `failed`). A digest's attempt also moves the channel's digest day.
 */
export async function recordAttempt(
  db: Database,
  channel: string,
  alarmIds: number[],
  outcome: Outcome,
  at: { now: Date; retryAt: Date | null; digestDay?: string },
): Promise<void> {
  const ids = JSON.stringify(alarmIds);
  await db.transaction(async () => {
    await db.exec(
      `INSERT INTO delivery_attempts SELECT unnest($2::VARCHAR::BIGINT[]), $1, $3::TIMESTAMP, $4, $5`,
      [channel, ids, at.now.toISOString(), outcome.ok, outcome.detail.slice(0, 500)],
    );
    await db.exec(
      `UPDATE alarm_deliveries
         SET attempts = attempts + 1,
             status = CASE WHEN $4 THEN 'sent' WHEN $5::TIMESTAMP IS NULL THEN 'failed' ELSE status END,
             sent_at = CASE WHEN $4 THEN $3::TIMESTAMP END,
             next_at = coalesce($5::TIMESTAMP, next_at),
             last_error = CASE WHEN $4 THEN NULL ELSE $6 END
         WHERE channel = $1 AND alarm_id IN (SELECT unnest($2::VARCHAR::BIGINT[]))`,
      [channel, ids, at.now.toISOString(), outcome.ok, at.retryAt?.toISOString() ?? null, outcome.detail],
    );
    if (at.digestDay && outcome.ok) {
      await db.exec("UPDATE notify_channels SET last_digest_day = $2 WHERE channel = $1", [
        channel,
        at.digestDay,
      ]);
    }
  });
}
