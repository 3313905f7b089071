/**
 * How a command opens the database it works on: one way for every command. Reading needs a database that
 * exists (a missing one is `database_missing`, never an empty file created by a query); writing creates it.
 * The service opens it under its memory budget instead (`memory/budgeted_db.ts`).
 */
import type { Config } from "../config/config.ts";
import { Database } from "./database.ts";
import { DatabaseError } from "./errors.ts";

export type Access = "read" | "write";

/** `config.db`, read-only for `read`; close it when done. */
export async function openDatabase(config: Pick<Config, "db">, access: Access): Promise<Database> {
  if (access === "read") {
    try {
      await Deno.stat(config.db);
    } catch {
      throw new DatabaseError(
        "database_missing",
        `no database at ${config.db} (nothing ingested yet, or another --db / LTA_DB?)`,
      );
    }
  }
  return await Database.open(config.db, { readOnly: access === "read" });
}
