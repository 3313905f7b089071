/** The files already in the ledger, by path, size and mtime, so restarts and scans skip them. */
import type { Database } from "../db/database.ts";

/**
 * A file as the watcher sees it: one string, so the known-files set holds one object per file.
 * `knownFiles` builds the same string in SQL.
 */
export function knownKey(path: string, size: number, mtimeMs: number): string {
  return `${path}\n${size}\n${mtimeMs}`;
}

/**
 * Path, size and mtime of every file already in the database. One string a file in a set (169 bytes of V8
 * heap a typical file, measured; a map from path to a `size:mtime` string took 255). Read chunk by chunk:
 * materialized whole as row objects, a 10,500-row ledger grew V8's heap by 5 MB more than the map it left
 * behind, and V8 keeps such growth committed (measured).
 */
export async function knownFiles(db: Database): Promise<Set<string>> {
  const known = new Set<string>();
  await db.eachChunkStreamed(
    `SELECT path || chr(10) || size_bytes || chr(10) || epoch_ms(source_mtime) FROM files WHERE source_mtime IS NOT NULL
     UNION ALL
     SELECT path || chr(10) || size_bytes || chr(10) || epoch_ms(source_mtime) FROM duplicates WHERE source_mtime IS NOT NULL`,
    (chunk) => {
      const keys = chunk.column(0);
      for (let i = 0; i < chunk.rowCount; i++) known.add(String(keys.getItem(i)));
    },
  );
  return known;
}
