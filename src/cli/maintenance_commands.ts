/**
 * `lta doctor` and `lta recover`: what the IT person runs when the service will not start or a file looks
 * wrong. Doctor checks a database (through the service when one runs on it); recover rebuilds a damaged
 * one from the newest sound snapshot and the source files.
 */
import type { Config } from "../config/config.ts";
import { openDatabase } from "../db/open.ts";
import { databaseErrorCode } from "../db/errors.ts";
import { walPath } from "../db/sidecars.ts";
import { type Check, checkDatabase } from "../db/verify.ts";
import { recoverDatabase } from "../actions/recover.ts";
import { exists } from "../fs.ts";
import { ServiceClient } from "./client.ts";
import { log } from "./output.ts";

/** The checks of the database file itself, before anything opens it. */
async function fileChecks(path: string): Promise<Check[]> {
  const size = await Deno.stat(path).then((s) => s.size, () => null);
  const wal = await Deno.stat(walPath(path)).then((s) => s.size, () => null);
  return [
    {
      name: "file",
      ok: size !== null,
      detail: size === null ? `no database at ${path}` : `${path}, ${size} bytes`,
    },
    {
      name: "wal",
      ok: true,
      detail: wal === null ? "none (checkpointed)" : `${wal} bytes to replay at the next open`,
    },
  ];
}

/** `lta doctor`: prints each check and a verdict; fails (exit 1) unless the database is sound. */
export async function doctorCommand(config: Config): Promise<void> {
  const checks = await fileChecks(config.db);
  let verdict = "ok";
  const service = await ServiceClient.find(config);
  if (!checks[0].ok) {
    verdict = "missing";
  } else if (service) {
    checks.push({ name: "open", ok: true, detail: "held by the running service (checked through it)" });
    checks.push(...(await service.json("GET", "/api/doctor")).checks as Check[]);
  } else {
    try {
      const db = await openDatabase(config, "read");
      try {
        checks.push({ name: "open", ok: true, detail: "opens, and its write-ahead log replays" });
        checks.push(...await checkDatabase(db, config.db));
      } finally {
        db.close();
      }
    } catch (e) {
      const code = databaseErrorCode(e) ?? "error";
      checks.push({ name: "open", ok: false, detail: `${code}: ${(e as Error).message}` });
      verdict = code === "database_locked" ? "locked" : code === "schema_too_new" ? "too new" : "damaged";
    }
  }
  if (verdict === "ok" && checks.some((c) => !c.ok)) {
    verdict = checks.find((c) => !c.ok)!.name === "ledger" ? "inconsistent" : "damaged";
  }
  for (const c of checks) console.log(`${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(7)} ${c.detail}`);
  console.log(`verdict: ${verdict}`);
  if (verdict === "damaged" || verdict === "inconsistent") {
    log(
      "to rebuild it: stop lta serve, then run `lta recover` (the damaged file is kept beside the new one)",
    );
  }
  if (verdict !== "ok") throw new Error(`${config.db}: ${verdict}`);
}

/** `lta recover`: rebuilds the database from the newest sound snapshot and the inbox and archive. */
export async function recoverCommand(config: Config): Promise<void> {
  if (await ServiceClient.find(config)) {
    throw new Error(
      `a service is running on ${config.db}; stop it first (recover writes a new database file)`,
    );
  }
  if (!(await exists(config.db)) && !(await exists(walPath(config.db)))) {
    throw new Error(`no database at ${config.db} to recover`);
  }
  const report = await recoverDatabase(config, log);
  for (const kept of report.keptAs) log(`kept the damaged file as ${kept}`);
  for (const rejected of report.rejectedSnapshots) log(`passed over snapshot ${rejected}`);
  log(
    `recovered ${config.db}: from ${
      report.snapshot ?? "an empty database"
    }, ${report.reloaded} file(s) loaded again` +
      (report.quarantined ? `, ${report.quarantined} quarantined` : ""),
  );
  if (report.missing === null) {
    log(
      "the damaged ledger could not be read: files loaded after the snapshot and no longer in the inbox or archive cannot be listed",
    );
  } else if (report.missing.length) {
    log(
      `${report.missing.length} file(s) the damaged database held are in neither the inbox nor the archive:`,
    );
    for (const path of report.missing) log(`  missing ${path}`);
  } else {
    log("every file the damaged database held is back");
  }
}
