/**
 * Failures that are the environment's, not the file's: the service retries them with backoff and reports
 * them, and never loops on them. A file it cannot read (permission denied, changed while read, a database
 * error on its load) waits its own backoff; storage that is full or read-only pauses all claiming until a
 * probe file loads again. A read-only database folder once failed 368 times in 30 s (measured).
 */

import { databaseErrorCode } from "../db/errors.ts";
import { SourceChanged } from "./load.ts";

/** What a failed load was, for what the service does next. */
export type Failure =
  | { scope: "fatal"; code: string }
  | { scope: "storage"; code: string }
  | { scope: "file"; code: string; firstRetryMs: number }
  | { scope: "gone" };

/** Sorts a load's failure: the process must restart, storage is unwritable, this file must wait, or it is gone. */
export function classifyFailure(e: unknown): Failure {
  // The source file's own errors first: Deno's PermissionDenied for an inbox file says "Permission
  // denied" too, and must not pause the whole ingest as read-only storage would.
  if (e instanceof SourceChanged) return { scope: "file", code: "changed_while_read", firstRetryMs: 1_000 };
  if (e instanceof Deno.errors.NotFound) return { scope: "gone" };
  if (e instanceof Deno.errors.PermissionDenied) {
    return { scope: "file", code: "permission_denied", firstRetryMs: 5_000 };
  }
  const code = databaseErrorCode(e);
  if (code === "database_invalidated") return { scope: "fatal", code };
  if (code === "disk_full" || code === "read_only") return { scope: "storage", code };
  return { scope: "file", code: code ?? "load_failed", firstRetryMs: 5_000 };
}

/** What kept a file or the whole ingest waiting. */
export interface Waiting {
  code: string;
  message: string;
  attempts: number;
  /** When the next attempt may run (epoch ms). */
  nextAt: number;
}

const FIRST_MS = 5_000;
const MAX_MS = 600_000;

/** `attempts` failures in a row wait 5 s, 10 s, 20 s … at most 10 min. */
export function backoffMs(attempts: number, firstMs = FIRST_MS): number {
  return Math.min(MAX_MS, firstMs * 2 ** Math.max(0, attempts - 1));
}

/** Per-file backoff for files that failed through no fault of their own. */
export class RetryBook {
  #files = new Map<string, Waiting>();

  /** Records a failure; returns the entry (with its attempt count and next time). */
  fail(path: string, code: string, message: string, now = Date.now(), firstMs = FIRST_MS): Waiting {
    const attempts = (this.#files.get(path)?.attempts ?? 0) + 1;
    const entry = { code, message, attempts, nextAt: now + backoffMs(attempts, firstMs) };
    this.#files.set(path, entry);
    return entry;
  }

  /** Whether `path` may be tried now (true for files that never failed). */
  due(path: string, now = Date.now()): boolean {
    return (this.#files.get(path)?.nextAt ?? 0) <= now;
  }

  succeeded(path: string): void {
    this.#files.delete(path);
  }

  /** Files waiting, by code, for `/metrics`. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const w of this.#files.values()) out[w.code] = (out[w.code] ?? 0) + 1;
    return out;
  }

  get size(): number {
    return this.#files.size;
  }
}

/** The whole ingest paused for storage that cannot take writes (disk full, read-only). */
export class IngestPause {
  current: (Waiting & { since: number }) | null = null;

  /** Pauses (or, already paused, backs off further); true when this starts the pause. */
  pause(code: string, message: string, now = Date.now()): boolean {
    const attempts = (this.current?.attempts ?? 0) + 1;
    const started = this.current === null;
    this.current = {
      code,
      message,
      attempts,
      nextAt: now + backoffMs(attempts),
      since: this.current?.since ?? now,
    };
    return started;
  }

  /** Whether a probe may run now (always, when not paused). */
  due(now = Date.now()): boolean {
    return this.current === null || this.current.nextAt <= now;
  }

  /** Ends the pause; what it was, for the log. */
  resume(): (Waiting & { since: number }) | null {
    const was = this.current;
    this.current = null;
    return was;
  }
}
