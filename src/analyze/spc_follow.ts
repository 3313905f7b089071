/**
 * SPC that follows the files as they load: the rules and drift of each model with new trim files run over
 * its newest points, at most once a minute per model during a backlog and as soon as the inbox is
 * drained. The nightly job covers all history.
 */
import type { Config } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../log.ts";
import type { MemoryGate } from "../memory/gate.ts";
import { spcOptions } from "../schedule/jobs.ts";
import { runSpc } from "./spc.ts";

const SPC_INTERVAL_MS = 60_000;
/** What one model's SPC run is admitted as, in shares of the budget (measured: ~4 MB at 2,000 files). */
const SPC_COST_SHARE = 0.05;
/** The newest points of a model that a run after a file looks at. */
const FOLLOW_POINTS = 200;

export class SpcFollower {
  readonly #dirty = new Set<string>();
  readonly #ranAt = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly gate: MemoryGate,
    private readonly budget: number,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** A trim file of `model` was loaded. */
  touched(model: string): void {
    this.#dirty.add(model);
  }

  /** Runs SPC for the models that are due, given how many files still wait in the inbox. */
  async run(pending: number): Promise<void> {
    const now = Date.now();
    for (const model of [...this.#dirty]) {
      if (pending > 0 && now - (this.#ranAt.get(model) ?? 0) < SPC_INTERVAL_MS) continue;
      this.#dirty.delete(model);
      this.#ranAt.set(model, now);
      // SPC reads a model's history: admitted like a file, so a burst's end does not spike past the budget.
      await this.gate.admit(this.budget * SPC_COST_SHARE);
      await this.#update(model);
    }
  }

  async #update(model: string): Promise<void> {
    const db = this.db;
    try {
      const summary = await db.exclusive(async () => {
        const summary = await db.transaction(() =>
          runSpc(db, spcOptions(this.config, FOLLOW_POINTS), [model])
        );
        // The history SPC read would stay in DuckDB's cache, which ingest never reads again: at the end of
        // a 10,000-file backlog it raised RSS 217 → 241 MB before the next relief (measured).
        await db.evictCache();
        return summary;
      });
      if (summary.newAlarms) {
        this.logger.event("spc_alarms", { model, new_alarms: summary.newAlarms }, "warn");
      }
    } catch (e) {
      this.logger.event("spc_failed", { model, error: (e as Error).message }, "error");
    }
  }
}
