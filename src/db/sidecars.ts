/**
 * The files that live beside a database file, named in one place: DuckDB's write-ahead log, the running
 * service's state file (how the CLI finds it), and the snapshots folder. A copy or a recovery that moves
 * the database moves its WAL with it.
 */
import { dirname, join } from "node:path";

/** DuckDB's write-ahead log of `dbPath`. */
export function walPath(dbPath: string): string {
  return `${dbPath}.wal`;
}

/** Which process serves `dbPath`, and on which port (`server/state_file.ts` reads and writes it). */
export function serviceStatePath(dbPath: string): string {
  return `${dbPath}.service.json`;
}

/** Where snapshots of `dbPath` go: `<db folder>/snapshots`. */
export function snapshotDir(dbPath: string): string {
  return join(dirname(dbPath), "snapshots");
}
