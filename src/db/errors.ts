/**
 * Database failures as codes that travel unchanged to the CLI message, the log line and the HTTP answer
 * (`{"error", "code"}`). DuckDB says what went wrong only in its message text, so this is the one place
 * that reads it; nothing outside `src/db` matches DuckDB's wording.
 */

/** What kind of database failure it is; each has a different remedy for the person who sees it. */
export type DatabaseErrorCode =
  /** Another process holds the file (DuckDB allows one writer): go through the running service. */
  | "database_locked"
  /** The file or its WAL cannot be read or replayed: `lta doctor`, then `lta recover`. */
  | "database_damaged"
  /** Written by a newer lta: upgrade lta. */
  | "schema_too_new"
  /** The disk is full: free space; the work is retried. */
  | "disk_full"
  /** The database folder or file cannot be written: fix its permissions or mount. */
  | "read_only"
  /** DuckDB refuses every statement after a fatal error: the process must restart. */
  | "database_invalidated"
  /** There is no database file yet. */
  | "database_missing"
  /** DuckDB's memory limit was reached by this statement among the others running: try again shortly. */
  | "out_of_memory";

/** A database failure with its code; `message` names the file and what to do. */
export class DatabaseError extends Error {
  constructor(readonly code: DatabaseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DatabaseError";
  }
}

/** DuckDB's wording for each code, most specific first. */
const PATTERNS: Array<[DatabaseErrorCode, RegExp]> = [
  ["database_invalidated", /FATAL Error|database has been invalidated/i],
  ["database_locked", /Could not set lock|Conflicting lock/i],
  ["out_of_memory", /Out of Memory Error|could not allocate block|failed to allocate/i],
  ["disk_full", /No space left on device|ENOSPC|disk is full|max_temp_directory_size/i],
  ["read_only", /Read-only file system|EROFS|Permission denied|EACCES|read-only mode|database is read-only/i],
  [
    "database_damaged",
    /replaying WAL|not a valid DuckDB database|Corrupt|checksum|INTERNAL Error|Serialization Error|checkpoint iteration|failed to read|expected to read|Could not read enough bytes|block size/i,
  ],
];

/** The code DuckDB's error `e` stands for, or `null` for one that is not about the database itself. */
export function databaseErrorCode(e: unknown): DatabaseErrorCode | null {
  if (e instanceof DatabaseError) return e.code;
  const message = e instanceof Error ? e.message : String(e);
  for (const [code, pattern] of PATTERNS) if (pattern.test(message)) return code;
  return null;
}

const REMEDY: Record<DatabaseErrorCode, string> = {
  database_locked: "it is open in another process (DuckDB allows one writer); while `lta serve` runs, " +
    "commands go through it",
  database_damaged: "it cannot be read or its write-ahead log cannot be replayed; run `lta doctor`, then " +
    "`lta recover` (the damaged file is kept)",
  schema_too_new: "it was written by a newer lta; upgrade lta to open it",
  disk_full: "the disk is full; free space and the work is retried",
  read_only: "it cannot be written (read-only file system or permissions)",
  database_invalidated: "DuckDB stopped after a fatal error; restart lta",
  database_missing: "there is no database file yet (nothing ingested yet, or another --db / LTA_DB?)",
  out_of_memory: "DuckDB's memory limit was reached while other work ran; try again shortly",
};

/**
 * `e` as a `DatabaseError` naming `path` when it is about the database, else `e` unchanged. DuckDB's own
 * text is kept as the cause, not in the message: it names folders an HTTP client need not see.
 */
export function asDatabaseError(e: unknown, path: string): unknown {
  if (e instanceof DatabaseError) return e;
  const code = databaseErrorCode(e);
  if (!code) return e;
  return new DatabaseError(code, `${path}: ${REMEDY[code]}`, { cause: e });
}

/** A `DatabaseError` with the standard remedy for `code`. */
export function databaseError(code: DatabaseErrorCode, path: string, detail?: string): DatabaseError {
  return new DatabaseError(code, `${path}: ${detail ?? REMEDY[code]}`);
}
