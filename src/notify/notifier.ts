/**
 * Alarms that reach people: every few seconds the service writes what each channel is owed (one
 * transaction), sends what is due outside any database turn, and logs each attempt. A failed attempt is
 * tried again with a doubling delay; quiet hours hold messages until they end; a digest channel gets one
 * message a day. What was logged as sent is never sent again, across restarts.
 */
import type { Config } from "../config/config.ts";
import type { Channel } from "../config/notify_channels.ts";
import { type Database, withConnection } from "../db/database.ts";
import type { Logger } from "../log.ts";
import { imrChartSvg } from "../render/spc_charts.ts";
import type { SpcMetric } from "../analyze/spc_series.ts";
import {
  digestAlarms,
  dueDeliveries,
  enqueue,
  lastDigestDay,
  type Outcome,
  recordAttempt,
  registerChannels,
} from "./deliveries.ts";
import { type LocalClock, localClock, withinSpan } from "./local_time.ts";
import type { Notice } from "./messages.ts";
import { send } from "./send.ts";
import type { HealthWatch } from "./health.ts";

const MAX_RETRY_MS = 3_600_000;
/** Health conditions are checked at most this often (each reads the ledger). */
const HEALTH_EVERY_MS = 60_000;

type Row = Record<string, unknown>;

export class Notifier {
  readonly #digestRetryAt = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly logger: Logger,
    /** The clock (tests script it). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  get channels(): Channel[] {
    return this.config.notifyChannels;
  }

  /**
   * Records each new channel's first sight before anything else can raise an alarm (files, SPC through
   * the API), so an alarm raised at start-up is not mistaken for one from before the channel.
   */
  async register(): Promise<void> {
    if (this.channels.length === 0) return;
    await this.db.exclusive(() => registerChannels(this.db, this.channels, this.now()));
  }

  /**
   * Every poll interval until `signal` aborts: the health conditions (at most once a minute), then `tick`.
   */
  async run(signal: AbortSignal, health: HealthWatch | null): Promise<void> {
    const everyMs = Math.min(Math.max(this.config.pollSeconds, 0.05), 30) * 1000;
    let checkedAt = 0;
    while (!signal.aborted) {
      const now = this.now();
      if (health && now.getTime() - checkedAt >= HEALTH_EVERY_MS) {
        checkedAt = now.getTime();
        try {
          const raised = await this.db.exclusive(() => health.check(now));
          if (raised) this.logger.event("health_alarms", { new_alarms: raised }, "warn");
        } catch (e) {
          this.logger.event("health_check_failed", { error: (e as Error).message }, "error");
        }
      }
      await this.tick();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, everyMs);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** Owes new alarms to their channels, then sends what is due. Errors are logged, never thrown. */
  async tick(): Promise<void> {
    if (this.channels.length === 0) return;
    try {
      const now = this.now();
      const clock = localClock(now, this.config.timeZone);
      const added = await this.db.exclusive(() => enqueue(this.db, this.channels, now));
      if (added) this.logger.event("notifications_owed", { deliveries: added });
      // An alarm owed to several channels is told (its chart drawn) once a round.
      const notices = new Map<number, Promise<Notice>>();
      for (const channel of this.channels) {
        if (channel.quietHours && withinSpan(channel.quietHours, clock.minutes)) continue;
        if (channel.digestAt !== null) await this.#digest(channel, now, clock);
        else await this.#due(channel, now, notices);
      }
    } catch (e) {
      this.logger.event("notify_failed", { error: (e as Error).message }, "error");
    }
  }

  async #due(channel: Channel, now: Date, notices: Map<number, Promise<Notice>>): Promise<void> {
    const due = await this.db.exclusive(() => dueDeliveries(this.db, channel.name, now));
    for (const d of due) {
      const id = Number(d.alarm.alarm_id);
      if (!notices.has(id)) notices.set(id, this.#notice(d.alarm, true));
      const outcome = await send(channel, this.config.site, [await notices.get(id)!], null);
      const retryAt = outcome.ok || d.attempts + 1 >= this.config.notifyMaxAttempts ? null : new Date(
        now.getTime() + Math.min(this.config.notifyRetrySeconds * 1000 * 2 ** d.attempts, MAX_RETRY_MS),
      );
      await this.db.exclusive(() =>
        recordAttempt(this.db, channel.name, [Number(d.alarm.alarm_id)], outcome, { now, retryAt })
      );
      this.#log(channel, [d.alarm], outcome, retryAt);
    }
  }

  async #digest(channel: Channel, now: Date, clock: LocalClock): Promise<void> {
    if (clock.minutes < channel.digestAt! || now.getTime() < (this.#digestRetryAt.get(channel.name) ?? 0)) {
      return;
    }
    const alarms = await this.db.exclusive(async () =>
      await lastDigestDay(this.db, channel.name) === clock.day
        ? null
        : await digestAlarms(this.db, channel.name)
    );
    if (alarms === null) return;
    const waiting = await Promise.all(alarms.map((a) => this.#notice(a, false)));
    const outcome: Outcome = waiting.length === 0
      ? { ok: true, detail: "no alarms since the last digest: nothing sent" }
      : await send(channel, this.config.site, waiting, { day: clock.day });
    const retryAt = new Date(now.getTime() + this.config.notifyRetrySeconds * 1000);
    if (!outcome.ok) this.#digestRetryAt.set(channel.name, retryAt.getTime());
    const ids = waiting.map((n) => Number(n.alarm.alarm_id));
    await this.db.exclusive(() =>
      recordAttempt(this.db, channel.name, ids, outcome, { now, retryAt, digestDay: clock.day })
    );
    if (ids.length) this.#log(channel, waiting.map((n) => n.alarm), outcome, outcome.ok ? null : retryAt);
  }

  /**
   * The alarm as a message tells it: its page, and its I-MR chart for a model's alarm, read and drawn on a
   * reader connection, so loading files goes on meanwhile.
   */
  async #notice(alarm: Row, chart: boolean): Promise<Notice> {
    const base = this.config.publicUrl || `http://${this.config.httpHost}:${this.config.httpPort}`;
    const id = Number(alarm.alarm_id);
    const series = {
      model: String(alarm.model),
      track: (alarm.track_id as string | null) ?? null,
      station: (alarm.station as string | null) ?? null,
    };
    const chartSvg = chart && alarm.model && alarm.metric
      ? await withConnection(this.db, (r) => imrChartSvg(r, series, alarm.metric as SpcMetric, id))
      : null;
    return { alarm, url: `${base}/alarms/${id}`, chartSvg };
  }

  #log(channel: Channel, alarms: Row[], outcome: Outcome, retryAt: Date | null): void {
    const fields = {
      channel: channel.name,
      alarms: alarms.map((a) => Number(a.alarm_id)).join(","),
      detail: outcome.detail,
    };
    if (outcome.ok) this.logger.event("notified", fields);
    else {
      this.logger.event(
        "notify_attempt_failed",
        { ...fields, retry_at: retryAt?.toISOString() ?? "given up" },
        retryAt ? "warn" : "error",
      );
    }
  }
}
