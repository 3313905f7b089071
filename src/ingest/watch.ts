/**
 * Watches the inbox: a polling scan every few seconds finds new and changed files (file events do not
 * arrive from SMB/NFS shares), `Deno.watchFs` events trigger an early scan where the OS sends them, and
 * the claim rules decide when a file may be read. Claimed files are handed out oldest first, once.
 */
import { join, resolve } from "node:path";
import { ClaimTracker } from "./claim.ts";
import { isCandidateName } from "./discover.ts";

export interface WatchOptions {
  inbox: string;
  /** Folders inside the inbox never to enter (quarantine, archive, reports). */
  skipDirs: string[];
  pollMs: number;
  minAgeMs: number;
  /** A stable file failing the structural check is handed over after this long. */
  stuckMs?: number;
  useEvents: boolean;
  /** Files already in the database (same path, size and mtime) are not claimed again. */
  isKnown: (path: string, size: number, mtimeMs: number) => boolean;
  /** Told once per path of what a plant should know: a path the scan cannot enter, a clock ahead of ours. */
  notice?: (event: WatchNotice, fields: Record<string, unknown>) => void;
}

export type WatchNotice = "inbox_path_skipped" | "future_mtime";

/** A claimed file's mtime this far ahead of our clock is worth a line (a station's clock is off). */
const FUTURE_MTIME_MS = 60_000;

interface Candidate {
  path: string;
  size: number;
  mtimeMs: number;
}

/** Temporary files that editors and copy tools leave while writing. */
function isTemporary(name: string): boolean {
  return /\.(tmp|part|crdownload|partial)$/i.test(name) || name.endsWith("~");
}

/** Linux's longest path, in bytes; Windows shares mounted here obey it too. */
const PATH_MAX = 4096;

/** Files checked at once during a scan. */
const SCAN_CHECKS_AT_ONCE = 8;

/** Runs `work` on every item, at most `width` at once. */
async function eachAtOnce<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

/** Scans the inbox and yields claimed file paths until `signal` aborts. */
export class InboxWatcher {
  #tracker: ClaimTracker;
  #skip: Set<string>;
  #inFlight = new Set<string>();
  #scanning = false;
  /** Paths already reported as skipped, so each is told once and not every scan. */
  #skipped = new Set<string>();
  #wake: (() => void) | null = null;
  #events: Deno.FsWatcher | null = null;
  /** Scans that found nothing pending, in a row (`--once` stops after a quiet scan). */
  quietScans = 0;

  constructor(private options: WatchOptions) {
    this.options = { ...options, inbox: resolve(options.inbox) };
    this.#tracker = new ClaimTracker({ minAgeMs: options.minAgeMs, stuckMs: options.stuckMs ?? 60_000 });
    this.#skip = new Set(options.skipDirs.map((d) => resolve(d)));
  }

  /** Claimed paths, oldest first within each scan; ends when `signal` aborts. */
  async *claims(signal: AbortSignal): AsyncGenerator<string> {
    // A signal aborted before this point (SIGTERM during start-up) never fires its abort listener: the
    // file watch it would close kept the process alive after "stopped" (measured).
    if (signal.aborted) return;
    if (this.options.useEvents) this.#listen(signal);
    while (!signal.aborted) {
      const claimed = await this.scan();
      for (const path of claimed) {
        if (signal.aborted) return;
        yield path;
      }
      if (claimed.length === 0) await this.#sleep(this.options.pollMs, signal);
    }
  }

  /** Files seen and not yet finished (waiting to settle, or claimed and in the pipeline). */
  get pendingCount(): number {
    return this.#tracker.pending + this.#inFlight.size;
  }

  /**
   * Whether files are being claimed or loaded now: a claimed file is in the pipeline, or a scan is checking
   * files it saw before. API readers yield to this (a scan of 300 files took 2.6 s instead of 0.1 s while
   * 200 clients read at full speed).
   */
  get busy(): boolean {
    return this.#inFlight.size > 0 || (this.#scanning && this.#tracker.pending > 0);
  }

  /** Marks a claimed file as done (loaded, duplicate or quarantined): it may be claimed again only if it changes. */
  done(path: string): void {
    this.#inFlight.delete(path);
    this.#tracker.forget(path);
  }

  /** One pass over the inbox; returns the files that may be read now, oldest first. */
  async scan(): Promise<string[]> {
    this.#scanning = true;
    try {
      return await this.#scan();
    } finally {
      this.#scanning = false;
    }
  }

  async #scan(): Promise<string[]> {
    const found: Candidate[] = [];
    await this.#walk(this.options.inbox, found);
    const now = Date.now();
    const ready: Candidate[] = [];
    const present = new Set(found.map((c) => c.path));
    const unknown = found.filter((c) =>
      !this.#inFlight.has(c.path) && !this.options.isKnown(c.path, c.size, c.mtimeMs)
    );
    // A few checks at once: each opens and reads the file, and one at a time a busy event loop made the
    // round trips add up.
    await eachAtOnce(unknown, SCAN_CHECKS_AT_ONCE, async (c) => {
      if (await this.#tracker.check(c.path, c.size, c.mtimeMs, now) === "claim") ready.push(c);
    });
    this.#tracker.retainOnly(present);
    ready.sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
    for (const c of ready) {
      this.#inFlight.add(c.path);
      this.#tracker.forget(c.path);
      if (c.mtimeMs > now + FUTURE_MTIME_MS) {
        this.options.notice?.("future_mtime", {
          path: c.path,
          mtime: new Date(c.mtimeMs).toISOString(),
          ahead_s: Math.round((c.mtimeMs - now) / 1000),
        });
      }
    }
    this.quietScans = ready.length === 0 && this.#tracker.pending === 0 ? this.quietScans + 1 : 0;
    return ready.map((c) => c.path);
  }

  async #walk(dir: string, out: Candidate[]): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (e) {
      // A folder removed mid-scan, or a share briefly unreachable: the next scan retries. One the scan can
      // never enter (a path longer than the system allows, no permission) is told once.
      this.#reportSkipped(dir, e);
      return;
    }
    const files: string[] = [];
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) {
        if (!entry.name.startsWith(".") && !this.#skip.has(resolve(path))) await this.#walk(path, out);
      } else if (entry.isFile && isCandidateName(entry.name) && !isTemporary(entry.name)) files.push(path);
    }
    await eachAtOnce(files, SCAN_CHECKS_AT_ONCE, async (path) => {
      try {
        const info = await Deno.stat(path);
        out.push({ path, size: info.size, mtimeMs: info.mtime?.getTime() ?? 0 });
      } catch (e) {
        this.#reportSkipped(path, e); // gone between listing and stat is not worth a line
      }
    });
  }

  #reportSkipped(path: string, e: unknown): void {
    if (e instanceof Deno.errors.NotFound || this.#skipped.has(path)) return;
    if (this.#skipped.size >= 1000) this.#skipped.clear();
    this.#skipped.add(path);
    const bytes = new TextEncoder().encode(path).length;
    const tooLong = bytes >= PATH_MAX;
    this.options.notice?.("inbox_path_skipped", {
      path: tooLong ? `${path.slice(0, 200)}…` : path,
      path_bytes: bytes,
      reason: tooLong
        ? `the path is longer than the system allows (${PATH_MAX} bytes): move the files nearer the inbox`
        : (e as Error).message,
    });
  }

  #listen(signal: AbortSignal): void {
    try {
      this.#events = Deno.watchFs(this.options.inbox, { recursive: true });
    } catch {
      return; // not supported here (some network mounts): polling alone is enough
    }
    const events = this.#events;
    signal.addEventListener("abort", () => events.close(), { once: true });
    (async () => {
      try {
        for await (const _ of events) this.#wake?.();
      } catch {
        // closed
      }
    })();
  }

  /** Waits `ms`, or less when a file event or abort arrives. */
  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      // An event is only a hint: scan soon, but not before the file has had a moment to settle.
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        setTimeout(done, Math.min(ms, 250));
      };
    });
  }
}
