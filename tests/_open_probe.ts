/**
 * Run as its own process by the single-writer tests: tries to open the database at `Deno.args[0]`
 * read-only and read-write, and prints what happened to each as JSON (`"opened"` or the error's code).
 */
import { Database } from "../src/db/database.ts";
import { databaseErrorCode } from "../src/db/errors.ts";

async function attempt(readOnly: boolean): Promise<string> {
  try {
    (await Database.open(Deno.args[0], { readOnly })).close();
    return "opened";
  } catch (e) {
    return databaseErrorCode(e) ?? `other: ${(e as Error).message}`;
  }
}

console.log(JSON.stringify({ readOnly: await attempt(true), readWrite: await attempt(false) }));
