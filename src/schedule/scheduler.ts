/**
 * Nightly jobs on a cron schedule in a configurable time zone (`npm:croner`; `Deno.cron` runs in UTC only),
 * with a `schedule_runs` ledger: each (job, scheduled_for) runs at most once to completion, and runs missed
 * while the service was down are caught up on start by policy (`none` / `latest` / `all`, capped).
 */
import { Cron } from "croner";
import type { Database } from "../db/database.ts";
import type { Logger } from "../log.ts";

export interface JobContext {
  db: Database;
  /** The occurrence this run stands for (UTC instant). */
  scheduledFor: Date;
  logger: Logger;
}

export interface Job {
  name: string;
  run(ctx: JobContext): Promise<string | void>;
}

export interface SchedulerOptions {
  cron: string;
  timeZone: string;
  catchUp: "none" | "latest" | "all";
  catchUpMax: number;
  /** Serialises database work with the ingest loop (one DuckDB connection). */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
}

const ts = (d: Date) => d.toISOString().replace("T", " ").replace("Z", "");
/** A UTC timestamp as DuckDB writes it as text (`YYYY-MM-DD HH:MM:SS[.ffffff]`), as an instant. */
export const fromTs = (v: unknown) => new Date(`${String(v).replace(" ", "T")}Z`);

/** Runs jobs on their schedule; `start()` first catches up what was missed. */
export class Scheduler {
  #cron: Cron | null = null;
  #running: Promise<void> = Promise.resolve();

  constructor(
    private db: Database,
    private jobs: Job[],
    private options: SchedulerOptions,
    private logger: Logger,
  ) {}

  /** The occurrences of the schedule in (after, until], oldest first. */
  occurrences(after: Date, until: Date, limit = 10_000): Date[] {
    const cron = new Cron(this.options.cron, { timezone: this.options.timeZone, paused: true });
    const out: Date[] = [];
    for (
      let next = cron.nextRun(after);
      next && next <= until && out.length < limit;
      next = cron.nextRun(next)
    ) {
      out.push(next);
    }
    cron.stop();
    return out;
  }

  /** Marks runs left `running` by a crash as interrupted, runs the missed ones, then follows the schedule. */
  async start(now = new Date()): Promise<void> {
    await this.options.exclusive(async () => {
      await this.db.exec("UPDATE schedule_runs SET status = 'interrupted' WHERE status = 'running'");
      const first = await this.db.value("SELECT value FROM lta_meta WHERE key = 'first_started_at'");
      if (first === null) {
        await this.db.exec("INSERT INTO lta_meta VALUES ('first_started_at', $1)", [ts(now)]);
      }
    });
    await this.catchUp(now);
    this.#cron = new Cron(
      this.options.cron,
      { timezone: this.options.timeZone, protect: true },
      async (self) => {
        const scheduledFor = self.currentRun() ?? new Date();
        for (const job of this.jobs) await this.runOnce(job, scheduledFor);
      },
    );
  }

  /** Runs the occurrences missed since each job's last finished run, by the catch-up policy. */
  async catchUp(now = new Date()): Promise<number> {
    if (this.options.catchUp === "none") return 0;
    let ran = 0;
    for (const job of this.jobs) {
      const since = await this.db.value(
        `SELECT coalesce(
           (SELECT max(scheduled_for) FROM schedule_runs WHERE job = $1 AND status IN ('ok', 'failed')),
           (SELECT value::TIMESTAMP FROM lta_meta WHERE key = 'first_started_at'))`,
        [job.name],
      );
      if (since === null) continue;
      const missed = this.occurrences(fromTs(since), now);
      const chosen = this.options.catchUp === "latest"
        ? missed.slice(-1)
        : missed.slice(-this.options.catchUpMax);
      if (missed.length > chosen.length) {
        this.logger.event("schedule_catch_up_skipped", {
          job: job.name,
          skipped: missed.length - chosen.length,
        });
      }
      for (const at of chosen) {
        if (await this.runOnce(job, at)) ran++;
      }
    }
    return ran;
  }

  /** Runs `job` for `scheduledFor` unless that occurrence already finished; records the outcome. */
  async runOnce(job: Job, scheduledFor: Date): Promise<boolean> {
    const run = this.#running.then(() =>
      this.options.exclusive(async () => {
        const status = await this.db.value(
          "SELECT status FROM schedule_runs WHERE job = $1 AND scheduled_for = $2::TIMESTAMP",
          [job.name, ts(scheduledFor)],
        );
        if (status === "ok" || status === "failed" || status === "running") return false;
        await this.db.exec(
          `INSERT INTO schedule_runs (job, scheduled_for, started_at, status) VALUES ($1, $2::TIMESTAMP, $3::TIMESTAMP, 'running')
           ON CONFLICT (job, scheduled_for) DO UPDATE SET started_at = excluded.started_at, status = 'running',
             attempts = schedule_runs.attempts + 1, error = NULL, finished_at = NULL`,
          [job.name, ts(scheduledFor), ts(new Date())],
        );
        const started = performance.now();
        let outcome: "ok" | "failed" = "ok";
        let detail: string | null = null;
        try {
          detail = (await job.run({ db: this.db, scheduledFor, logger: this.logger })) ?? null;
        } catch (e) {
          outcome = "failed";
          detail = (e as Error).message;
        }
        await this.db.exec(
          `UPDATE schedule_runs SET status = $3, finished_at = $4::TIMESTAMP, error = $5
           WHERE job = $1 AND scheduled_for = $2::TIMESTAMP`,
          [job.name, ts(scheduledFor), outcome, ts(new Date()), outcome === "failed" ? detail : null],
        );
        this.logger.event(
          "job_finished",
          {
            job: job.name,
            scheduled_for: scheduledFor.toISOString(),
            status: outcome,
            detail,
            ms: Math.round(performance.now() - started),
          },
          outcome === "ok" ? "info" : "error",
        );
        return true;
      })
    );
    this.#running = run.then(() => {}, () => {});
    return await run;
  }

  /**
   * Runs the jobs (all, or those named) now, as an occurrence of their own: `lta jobs run` for the IT
   * person who wants tonight's work done at once. Returns each job's status.
   */
  async runNow(names?: string[], now = new Date()): Promise<Record<string, string>> {
    const unknown = (names ?? []).filter((n) => !this.jobs.some((j) => j.name === n));
    if (unknown.length) {
      throw new Error(
        `no job named ${unknown.join(", ")}; the jobs: ${this.jobs.map((j) => j.name).join(", ")}`,
      );
    }
    const outcome: Record<string, string> = {};
    for (const job of this.jobs.filter((j) => !names || names.includes(j.name))) {
      await this.runOnce(job, now);
      outcome[job.name] = String(
        await this.options.exclusive(() =>
          this.db.value("SELECT status FROM schedule_runs WHERE job = $1 AND scheduled_for = $2::TIMESTAMP", [
            job.name,
            ts(now),
          ])
        ),
      );
    }
    return outcome;
  }

  /** The next time the schedule fires. */
  nextRun(): Date | null {
    return this.#cron?.nextRun() ?? null;
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    this.#cron?.stop();
    await this.#running;
  }
}
