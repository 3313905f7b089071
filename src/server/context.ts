/** What the HTTP layer is given: the database, the settings, and a view of the running service. */
import type { ExportResult } from "../export/parquet.ts";
import type { Config } from "../config/config.ts";
import type { Database } from "../db/database.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { MemoryGate } from "../memory/gate.ts";
import type { IngestPause, RetryBook } from "../ingest/retry.ts";
import type { CommandContext } from "./command_routes.ts";

export interface ServiceView {
  gate: MemoryGate;
  /** Files waiting out a backoff (permission denied, changed while read, a failed load). */
  retries: RetryBook;
  /** Claiming paused for storage that cannot take writes. */
  pause: IngestPause;
  startedAt: number;
  watching: boolean;
  stopping: boolean;
  /** Files seen in the inbox and not yet claimed or finished. */
  pending(): number;
  /** Whether claimed files are being read or loaded now (readers then yield to the writer). */
  loading(): boolean;
}

export interface ServerContext extends CommandContext {
  db: Database;
  config: Config;
  metrics: Metrics;
  service: ServiceView;
  /** Where unexpected errors are reported (the service's log). */
  logger?: Logger;
  /** Takes a consistent copy of the database file; returns its path. */
  snapshot(): Promise<string>;
  /** Writes a Parquet export of the files loaded since `since` (YYYY-MM-DD; all when absent). */
  exportParquet(since?: string): Promise<ExportResult>;
}
