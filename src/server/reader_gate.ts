/**
 * Who may read the database, and when. At most `active` requests read at once and `waiting` more wait
 * their turn; past that a request is answered 503 with `Retry-After` at once. 200 unbounded readers drove
 * DuckDB out of memory at a 194.5 MiB limit and slowed ingest to 0.35× (measured).
 *
 * While files are loading the writer comes first: one reader at a time, and after a read that took `d`
 * the next waits `d × (1 − share) / share`, so readers hold the database for at most `share` of the time.
 * A bounded queue alone left ingest at 0.29× its solo rate under 200 readers on two cores (docs/performance.md).
 */
import type { MiddlewareHandler } from "hono";

export interface ReaderGateOptions {
  /** Requests reading at once while no file is loading. */
  active: number;
  /** Requests that may wait in line. */
  waiting: number;
  /** The share of the time readers may hold the database while files load, 0–1. */
  shareWhileLoading: number;
  /** Whether files are being loaded now. */
  loading: () => boolean;
  /** A request waiting longer than this is answered 503 (it would time out at the client anyway). */
  maxWaitMs?: number;
}

interface Waiter {
  admit: () => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Admission to the database for readers; see the module comment. */
export class ReaderGate {
  #running = 0;
  #queue: Waiter[] = [];
  /** While loading, no read starts before this instant. */
  #nextStart = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: ReaderGateOptions) {}

  /** Waits for a turn; `false` when the line is full or the wait ran out (answer 503). */
  enter(): Promise<boolean> {
    if (this.#queue.length === 0 && this.#mayStart(Date.now())) {
      this.#running++;
      return Promise.resolve(true);
    }
    if (this.#queue.length >= this.options.waiting) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        admit: () => resolve(true),
        timer: setTimeout(() => {
          this.#queue.splice(this.#queue.indexOf(waiter), 1);
          resolve(false);
        }, this.options.maxWaitMs ?? 15_000),
      };
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  /** Ends a read that took `ms`. */
  leave(ms: number): void {
    this.#running--;
    const share = this.options.shareWhileLoading;
    if (this.options.loading() && share < 1) this.#nextStart = Date.now() + ms * (1 - share) / share;
    this.#pump();
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  #mayStart(now: number): boolean {
    if (!this.options.loading()) return this.#running < this.options.active;
    return this.#running === 0 && now >= this.#nextStart;
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const now = Date.now();
      if (!this.#mayStart(now)) {
        // Blocked by the pause after a read: look again when it ends (a running read pumps on leaving).
        if (this.#running === 0 && this.#timer === null) {
          this.#timer = setTimeout(() => {
            this.#timer = null;
            this.#pump();
          }, Math.max(1, this.#nextStart - now));
        }
        return;
      }
      const waiter = this.#queue.shift()!;
      clearTimeout(waiter.timer);
      this.#running++;
      waiter.admit();
    }
  }
}

/** The gate as middleware for the routes that read: the live page and paths under `prefixes`. */
export function readerAdmission(gate: ReaderGate, prefixes: string[]): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.path !== "/" && !prefixes.some((p) => c.req.path.startsWith(p))) return await next();
    if (!await gate.enter()) {
      c.header("retry-after", "1");
      return c.json(
        { error: "the service is busy with other readers; try again in a second", code: "busy" },
        503,
      );
    }
    const started = performance.now();
    try {
      await next();
    } finally {
      gate.leave(performance.now() - started);
    }
  };
}
