/**
 * The memory gate: samples the process's memory, holds a state (`ok` / `pressure` / `critical`) against a
 * budget with hysteresis, and admits the next unit of work only when its estimated cost fits. Under
 * pressure it asks registered caches to let go and, when the runtime allows, collects garbage; it never
 * drops work: with nothing else in flight it lets the work through after a bounded wait and says so.
 */
import { trimNativeHeap } from "./native_heap.ts";

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  systemTotal: number;
  systemAvailable: number;
}

/** The boundary with the OS; tests replace it. */
export type MemorySampler = () => MemorySample;

export const processSampler: MemorySampler = () => {
  const m = Deno.memoryUsage();
  const s = Deno.systemMemoryInfo();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    systemTotal: s.total,
    systemAvailable: s.available,
  };
};

export type GateState = "ok" | "pressure" | "critical";

export interface GateOptions {
  budgetBytes: number;
  /** Fractions of the budget where the state rises; it falls back `hysteresis` below them. */
  pressureAt?: number;
  criticalAt?: number;
  hysteresis?: number;
  /** How long `admit` waits between samples. */
  waitMs?: number;
  /**
   * With nothing else in flight, how many relief-and-wait rounds before letting work through: nothing else
   * can free memory then, so a long wait would only stall the backlog.
   */
  maxWaits?: number;
  /**
   * V8 grows its heap rather than collect while it has room, and a service's garbage alone then reaches
   * tens of MB. When `heapUsed` has grown by this share of the budget since the last full collection,
   * `admit` collects first (a growth, not a level: a live heap above the level would collect every time).
   */
  heapShare?: number;
  /** Under pressure, `admit` runs the reliefs at most this often (they cost a collection and a checkpoint). */
  reliefIntervalMs?: number;
  sampler?: MemorySampler;
  onChange?: (from: GateState, to: GateState, sample: MemorySample) => void;
}

/** A relief; `urgent` when the work waiting is big, so that rate limits should not hold it back. */
export type Relief = (urgent: boolean) => void | Promise<unknown>;

const reliefs = new Map<string, Relief>();
const BIG_WORK_SHARE = 0.25;

/**
 * Registers a cache (or anything memoised, or DuckDB's buffer pool) to be let go when memory is tight.
 * Returns the function that unregisters it.
 */
export function registerRelief(name: string, drop: Relief): () => void {
  reliefs.set(name, drop);
  return () => {
    if (reliefs.get(name) === drop) reliefs.delete(name);
  };
}

/**
 * Lets every registered cache go, collects garbage when the runtime exposes it
 * (`--v8-flags=--expose-gc`) and trims the C heap. A relief that fails is skipped: relief is best effort.
 */
export async function relieve(urgent = false): Promise<void> {
  for (const drop of reliefs.values()) {
    try {
      await drop(urgent);
    } catch { /* best effort */ }
  }
  collectGarbage();
  trimNativeHeap();
}

/** A full V8 collection, when the runtime exposes it. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export class MemoryGate {
  state: GateState = "ok";
  last: MemorySample;
  /** Work let through over budget because nothing else was in flight to free memory. */
  overBudgetAdmissions = 0;
  readonly budgetBytes: number;
  #o: Required<Omit<GateOptions, "onChange">> & Pick<GateOptions, "onChange">;
  #costPerByte = new Map<string, number>([["xls", 6], ["xlsx", 20]]);
  /** Admissions to let through without relief, after relief was seen to free nothing (native growth). */
  #skipRelief = 0;
  #reliefAt = -Infinity;
  /**
   * Reliefs in a row that left RSS at or above the pressure threshold: memory that nothing in this process
   * can hand back any more.
   */
  stuckReliefs = 0;
  /** `heapUsed` after the last full collection `admit` made. */
  #heapAfterGc = 0;
  /** RSS right after the last `measureFloor`: what the process holds that no relief hands back. */
  floorRss = 0;

  constructor(options: GateOptions) {
    this.#o = {
      pressureAt: 0.8,
      criticalAt: 0.95,
      hysteresis: 0.05,
      waitMs: 50,
      maxWaits: 2,
      heapShare: 0.08,
      reliefIntervalMs: 1000,
      sampler: processSampler,
      ...options,
    };
    this.budgetBytes = options.budgetBytes;
    this.last = this.#o.sampler();
    this.sample();
  }

  /** Takes a sample and updates the state (rising at the thresholds, falling `hysteresis` below them). */
  sample(): MemorySample {
    const s = this.#o.sampler();
    this.last = s;
    const used = s.rss / this.budgetBytes;
    const { pressureAt, criticalAt, hysteresis } = this.#o;
    let next: GateState = this.state;
    if (used >= criticalAt) next = "critical";
    else if (this.state === "critical" && used >= criticalAt - hysteresis) next = "critical";
    else if (used >= pressureAt) next = "pressure";
    else if (this.state !== "ok" && used >= pressureAt - hysteresis) next = "pressure";
    else next = "ok";
    if (next !== this.state) {
      const from = this.state;
      this.state = next;
      if (next !== "ok") void this.#relieve();
      this.#o.onChange?.(from, next, s);
    }
    return s;
  }

  /** Estimated resident cost of reading and loading a file of `size` bytes in `format`. */
  estimate(format: string, size: number): number {
    return Math.round(size * (this.#costPerByte.get(format) ?? 20));
  }

  /** Corrects the estimate for `format` from a measured RSS rise while a file of `size` bytes was handled. */
  observe(format: string, size: number, rssRise: number): void {
    if (size <= 0 || rssRise <= 0) return;
    const old = this.#costPerByte.get(format) ?? 20;
    this.#costPerByte.set(format, old * 0.8 + (rssRise / size) * 0.2);
  }

  /**
   * Waits until `cost` more bytes fit under the critical threshold. With other work in flight it waits as
   * long as it takes (that work will finish and free memory); with none, at most `maxWaits` relief rounds.
   * Returns how long it waited, in ms.
   */
  async admit(cost: number, inFlight = 0): Promise<number> {
    const started = performance.now();
    if (this.sample().heapUsed - this.#heapAfterGc > this.budgetBytes * this.#o.heapShare) {
      collectGarbage();
      this.#heapAfterGc = this.sample().heapUsed;
    }
    // Under pressure memory is let go before it becomes critical, while work still fits.
    if (this.state === "pressure" && performance.now() - this.#reliefAt >= this.#o.reliefIntervalMs) {
      await this.#relieve();
      this.#countStuck();
    } else if (this.state === "ok") {
      this.stuckReliefs = 0;
    }
    const before = this.last.rss;
    // Big work (a quarter of the budget or more) always gets relief first, past any rate limit.
    const big = cost >= this.budgetBytes * BIG_WORK_SHARE;
    for (let waits = 0;; waits++) {
      const s = waits === 0 ? this.last : this.sample();
      if (s.rss + cost <= this.budgetBytes * this.#o.criticalAt && this.state !== "critical") break;
      const skip = this.#skipRelief > 0 && !big;
      if (inFlight === 0 && (waits >= this.#o.maxWaits || skip)) {
        this.overBudgetAdmissions++;
        if (skip) this.#skipRelief--;
        // Relief that freed under 2% will not free more for the next files: stop paying for it a while.
        else if (s.rss > before * 0.98 && !big) this.#skipRelief = 50;
        break;
      }
      await this.#relieve(big);
      this.#countStuck();
      await new Promise((r) => setTimeout(r, this.#o.waitMs));
    }
    return performance.now() - started;
  }

  /**
   * Runs every relief, urgent or not, and samples: the RSS that is left is the process's floor, which
   * only memory lost for good (native allocations nothing frees, and the fragments they pin) raises. The
   * count of stuck reliefs starts again from here.
   */
  async measureFloor(): Promise<number> {
    await this.#relieve(true);
    this.floorRss = this.sample().rss;
    this.stuckReliefs = 0;
    return this.floorRss;
  }

  /** Samples after a relief: still at or above the pressure threshold is one more stuck relief. */
  #countStuck(): void {
    const stuck = this.sample().rss >= this.budgetBytes * this.#o.pressureAt;
    this.stuckReliefs = stuck ? this.stuckReliefs + 1 : 0;
  }

  #relieve(urgent = false): Promise<void> {
    this.#reliefAt = performance.now();
    return relieve(urgent);
  }

  /** Batch sizes that shrink as memory gets tight. */
  batchSizes(): { flushRows: number; analysisTracks: number } {
    return this.state === "ok"
      ? { flushRows: 50_000, analysisTracks: 500 }
      : this.state === "pressure"
      ? { flushRows: 10_000, analysisTracks: 100 }
      : { flushRows: 2_000, analysisTracks: 20 };
  }
}
