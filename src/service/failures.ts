/**
 * A load that failed through no fault of the file: the environment's errors are retried with backoff and
 * logged, never in a tight loop; storage that cannot take writes pauses claiming; a DuckDB that stopped
 * after a fatal error stops the service for its manager to restart.
 */
import type { Logger } from "../log.ts";
import { classifyFailure, type IngestPause, type RetryBook } from "../ingest/retry.ts";

export interface FailureBook {
  db: string;
  pause: IngestPause;
  retries: RetryBook;
  logger: Logger;
}

/** Books the failure of `path`'s load; throws only when the database can take no more statements. */
export function loadFailed(book: FailureBook, path: string, e: unknown): void {
  const { pause, retries, logger } = book;
  const error = (e as Error).message;
  const failure = classifyFailure(e);
  if (failure.scope === "gone") return;
  if (failure.scope === "fatal") {
    // DuckDB refuses every statement after a fatal error: retrying would spin. Stopping lets the service
    // manager restart lta, which reopens the file and replays its WAL.
    logger.event("database_invalidated", { path, error }, "error");
    throw new Error(`${book.db}: DuckDB stopped after a fatal error; restart lta. ${error}`);
  }
  if (failure.scope === "storage") {
    // The file stays in the inbox, not quarantined: the disk is at fault, not the file. DuckDB rolls the
    // failed commit back and takes writes again once there is room (measured): no reopen.
    const started = pause.pause(failure.code, error);
    const retryIn = Math.round((pause.current!.nextAt - Date.now()) / 1000);
    logger.event(started ? "ingest_paused" : "ingest_still_paused", {
      path,
      code: failure.code,
      error,
      retry_in_s: retryIn,
    }, "error");
    return;
  }
  const wait = retries.fail(path, failure.code, error, Date.now(), failure.firstRetryMs);
  logger.event("file_retry", {
    path,
    code: failure.code,
    error,
    attempt: wait.attempts,
    retry_in_s: Math.round((wait.nextAt - Date.now()) / 1000),
  }, "warn");
}

/** Claiming goes on after a pause: says so once. */
export function loadSucceeded(book: FailureBook, path: string): void {
  book.retries.succeeded(path);
  const was = book.pause.resume();
  if (was) {
    book.logger.event("ingest_resumed", {
      code: was.code,
      paused_s: Math.round((Date.now() - was.since) / 1000),
    });
  }
}
