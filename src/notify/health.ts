/**
 * Silence and health alarms: conditions on the plant and the service, checked on the notifier's beat and
 * kept in `health_alarms` like SPC alarms (acknowledged, notified). Each condition raises one alarm when it
 * starts, keeps its `last_at` while it lasts, and clears it (`cleared_at`) when it ends.
 */
import { Cron } from "croner";
import type { Config } from "../config/config.ts";
import { type Span, spansByWeekday } from "../config/working_hours.ts";
import type { Database } from "../db/database.ts";
import { localClock, withinSpan } from "./local_time.ts";
import { fromTs } from "../schedule/scheduler.ts";

/** Stations that sent nothing for this long are no longer watched (a retired station is not silent). */
const STATION_MEMORY_DAYS = 14;
/** A nightly run counts as missed this long after it was due. */
const MISSED_RUN_GRACE_MS = 3_600_000;
const STEP_MS = 5 * 60_000;

interface Condition {
  kind: "silence" | "quarantine_rate" | "nightly_job" | "memory";
  subject: string;
  severity: "high" | "medium";
  active: boolean;
  description: string;
}

export class HealthWatch {
  readonly #week: Span[][];
  #criticalSince: number | null = null;

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    /** The memory gate's state now. */
    private readonly memoryState: () => string,
  ) {
    this.#week = spansByWeekday(config.workingHours);
  }

  /** Checks every condition at `now`; returns how many alarms were raised. Under the writer's turn. */
  async check(now: Date): Promise<number> {
    const conditions = [
      ...(await this.#silences(now)),
      ...(await this.#quarantineRate()),
      ...(await this.#nightlyRuns(now)),
      this.#memory(now),
    ];
    return await this.db.transaction(async () => {
      let raised = 0;
      for (const c of conditions) raised += await setCondition(this.db, c, now);
      return raised;
    });
  }

  /** A station silent for `silenceHours` of working time since its last file. */
  async #silences(now: Date): Promise<Condition[]> {
    if (this.config.silenceHours <= 0) return [];
    const rows = await this.db.rows(
      `SELECT station, max(ingested_at)::VARCHAR AS last FROM files
       WHERE station IS NOT NULL AND ingested_at > $1::TIMESTAMP - INTERVAL ${STATION_MEMORY_DAYS} DAY
       GROUP BY station ORDER BY station`,
      [now.toISOString()],
    );
    return rows.map((r) => {
      const last = fromTs(r.last);
      const hours = this.config.silenceHours;
      return {
        kind: "silence",
        subject: String(r.station),
        severity: "medium",
        active: this.#workingMinutes(last, now, hours * 60) >= hours * 60,
        description: `no file from station ${r.station} for ${hours} working hour(s) (last at ${
          last.toISOString().slice(0, 16).replace("T", " ")
        } UTC)`,
      };
    });
  }

  /** Working minutes from `from` to `to`, counted up to `enough`. */
  #workingMinutes(from: Date, to: Date, enough: number): number {
    let minutes = 0;
    for (let t = from.getTime(); t < to.getTime() && minutes < enough; t += STEP_MS) {
      const clock = localClock(new Date(t), this.config.timeZone);
      if (this.#week[clock.weekday].some((s) => withinSpan(s, clock.minutes))) {
        minutes += Math.min(STEP_MS, to.getTime() - t) / 60_000;
      }
    }
    return minutes;
  }

  async #quarantineRate(): Promise<Condition[]> {
    const n = this.config.quarantineRateFiles;
    const [r] = await this.db.rows(
      `SELECT count(*) AS files, count(*) FILTER (status = 'quarantined') AS quarantined
       FROM (SELECT status FROM files ORDER BY ingested_at DESC, file_id DESC LIMIT $1)`,
      [n],
    );
    const files = Number(r.files);
    const pct = files ? (100 * Number(r.quarantined)) / files : 0;
    return [{
      kind: "quarantine_rate",
      subject: "inbox",
      severity: "medium",
      active: files >= n && pct > this.config.quarantineRatePct,
      description: `${
        pct.toFixed(0)
      }% of the last ${files} files quarantined (alarm above ${this.config.quarantineRatePct}%)`,
    }];
  }

  /** A nightly job whose newest run failed, and a scheduled run that never started. */
  async #nightlyRuns(now: Date): Promise<Condition[]> {
    const latest = await this.db.rows(
      `SELECT job, status, error FROM (SELECT *, row_number() OVER (PARTITION BY job ORDER BY scheduled_for DESC,
         started_at DESC) AS k FROM schedule_runs) WHERE k = 1 ORDER BY job`,
    );
    const failed: Condition[] = latest.map((r) => ({
      kind: "nightly_job",
      subject: String(r.job),
      severity: "high",
      active: r.status === "failed",
      description: `nightly job ${r.job} failed: ${String(r.error ?? "").slice(0, 200)}`,
    }));
    const cron = new Cron(this.config.nightlyCron, { timezone: this.config.timeZone, paused: true });
    const [due] = cron.previousRuns(1, new Date(now.getTime() - MISSED_RUN_GRACE_MS));
    cron.stop();
    const started = await this.db.value("SELECT value FROM lta_meta WHERE key = 'first_started_at'");
    let missed = false;
    if (due && started !== null && fromTs(started) < due) {
      const ran = await this.db.value(
        "SELECT count(*) FROM schedule_runs WHERE scheduled_for = $1::TIMESTAMP",
        [
          due.toISOString(),
        ],
      );
      missed = Number(ran) === 0;
    }
    const when = due ? due.toISOString().slice(0, 16).replace("T", " ") : "";
    return [...failed, {
      kind: "nightly_job",
      subject: "schedule",
      severity: "high",
      active: missed,
      description: `the nightly run due at ${when} UTC did not run`,
    }];
  }

  #memory(now: Date): Condition {
    const critical = this.memoryState() === "critical";
    if (!critical) this.#criticalSince = null;
    else this.#criticalSince ??= now.getTime();
    const minutes = this.config.memoryAlarmMinutes;
    return {
      kind: "memory",
      subject: "service",
      severity: "high",
      active: this.#criticalSince !== null && now.getTime() - this.#criticalSince >= minutes * 60_000,
      description: `memory critical for more than ${minutes} minute(s)`,
    };
  }
}

/** Raises, extends or clears the alarm of one condition; 1 when it raised one. */
async function setCondition(db: Database, c: Condition, now: Date): Promise<number> {
  const at = now.toISOString();
  const open = await db.value(
    "SELECT max(alarm_id) FROM health_alarms WHERE kind = $1 AND subject = $2 AND cleared_at IS NULL",
    [c.kind, c.subject],
  );
  if (open === null && c.active) {
    await db.exec(
      `INSERT INTO health_alarms (kind, subject, severity, description, first_at, last_at, created_at)
       VALUES ($1, $2, $3, $4, $5::TIMESTAMP, $5::TIMESTAMP, $5::TIMESTAMP)`,
      [c.kind, c.subject, c.severity, c.description, at],
    );
    return 1;
  }
  if (open !== null) {
    await db.exec(
      `UPDATE health_alarms SET ${c.active ? "last_at" : "cleared_at"} = $2::TIMESTAMP WHERE alarm_id = $1`,
      [open, at],
    );
  }
  return 0;
}
