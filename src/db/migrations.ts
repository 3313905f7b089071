/**
 * The schema version a database file carries, and the steps that bring an older file up to this build's,
 * all in one transaction.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Queryable } from "./connection.ts";
import { databaseError } from "./errors.ts";

/** The schema version this build writes; a database with a newer one is refused. */
export const SCHEMA_VERSION = 7;

const SCHEMA_FILES = [
  "schema.sql",
  "analysis.sql",
  "spc.sql",
  "alarms.sql",
  "final_test.sql",
  "unit_keys.sql",
  "final_test_views.sql",
];

/**
 * Steps that bring an older database up to the next version, keyed by the version they produce. They run
 * before the schema files (which only create what is missing), inside the same transaction.
 */
const MIGRATIONS: Record<number, string> = {
  // 2: Final Test files share the ledger; every file loaded before them was a trim file.
  // DuckDB alters no table that an index depends on (schema.sql recreates them), and adds a column without
  // constraints: NOT NULL follows once the default has filled it.
  2: `DROP INDEX IF EXISTS files_sha256;
      DROP INDEX IF EXISTS files_file_name;
      ALTER TABLE files ADD COLUMN IF NOT EXISTS kind VARCHAR DEFAULT 'trim';
      ALTER TABLE files ALTER COLUMN kind SET NOT NULL;`,
  // 3: files.system names a row of station_layouts instead of a CHECK listing 'A' and 'B', so a new station
  // layout needs no migration. DuckDB drops no constraint in place: the ledger moves aside, the schema
  // files create it anew, and FINISH[3] copies it back.
  3: `DROP INDEX IF EXISTS files_sha256;
      DROP INDEX IF EXISTS files_file_name;
      ALTER TABLE files RENAME TO files_v2;`,
  // 5: the ledger keeps each file's unit keys (a file moved aside by step 3 gets them from schema.sql).
  5: `DROP INDEX IF EXISTS files_sha256;
      DROP INDEX IF EXISTS files_file_name;
      ALTER TABLE IF EXISTS files ADD COLUMN IF NOT EXISTS model_key VARCHAR;
      ALTER TABLE IF EXISTS files ADD COLUMN IF NOT EXISTS serial_key VARCHAR;`,
  // 6: a limits version keeps who computed it, why, and from which baseline (spc_exclusions is new).
  6: `ALTER TABLE IF EXISTS control_limits ADD COLUMN IF NOT EXISTS computed_by VARCHAR;
      ALTER TABLE IF EXISTS control_limits ADD COLUMN IF NOT EXISTS reason VARCHAR;
      ALTER TABLE IF EXISTS control_limits ADD COLUMN IF NOT EXISTS baseline VARCHAR;
      ALTER TABLE IF EXISTS control_limits ADD COLUMN IF NOT EXISTS excluded INTEGER;`,
  // 7: each file keeps the station and line that sent it; each track of a model is an SPC series of its
  // own (control_limits is keyed by track: it moves aside and FINISH[7] copies it back); an alarm can be
  // resolved with its corrective action; health alarms, notification channels and their delivery log are
  // new tables (alarms.sql).
  // Its indexes stay: dropping and recreating them in the transaction that adds a column made DuckDB 1.5
  // abort at COMMIT ("pure virtual method called") on a 35-day history; adding the column alone works.
  7: `ALTER TABLE IF EXISTS files ADD COLUMN IF NOT EXISTS station VARCHAR;
      ALTER TABLE IF EXISTS files ADD COLUMN IF NOT EXISTS line VARCHAR;
      ALTER TABLE IF EXISTS control_limits RENAME TO control_limits_v6;
      ALTER TABLE IF EXISTS spc_alarms ADD COLUMN IF NOT EXISTS track_id VARCHAR;
      ALTER TABLE IF EXISTS spc_alarms ADD COLUMN IF NOT EXISTS station VARCHAR;
      ALTER TABLE IF EXISTS spc_alarms ADD COLUMN IF NOT EXISTS resolved_by VARCHAR;
      ALTER TABLE IF EXISTS spc_alarms ADD COLUMN IF NOT EXISTS resolved_at TIMESTAMP;
      ALTER TABLE IF EXISTS spc_alarms ADD COLUMN IF NOT EXISTS corrective_action VARCHAR;
      ALTER TABLE IF EXISTS alarm_acknowledgements ADD COLUMN IF NOT EXISTS action VARCHAR DEFAULT 'acknowledge';
      ALTER TABLE IF EXISTS alarm_acknowledgements ADD COLUMN IF NOT EXISTS corrective_action VARCHAR;`,
};

/**
 * The layouts that shipped when `station_layouts` came, written once when the table is made (never on a
 * plain open: a statement that reads the table on every start failed on damaged files before `lta doctor`
 * could be named). Rows written by other tools then find them.
 */
const SHIPPED_LAYOUTS = `INSERT INTO station_layouts VALUES
    ('A', 'DLTS', 'sheets SEC1 TRKn 0 (untrimmed) and SEC1 TRKn 1 TRMm (trimmed), a pair per track'),
    ('B', 'LTS', 'sheets test (untrimmed) and Lin Error or Trim N (trimmed), one track')
  ON CONFLICT DO NOTHING;`;

/** The models whose tracks are all one track, and that track. */
const ONE_TRACK = `SELECT model, min(track_id) AS track FROM v_tracks WHERE model IS NOT NULL GROUP BY model
  HAVING count(DISTINCT track_id) = 1`;

/** Steps that finish a migration once the schema files have created what it made room for. */
const FINISH: Record<number, string> = {
  3: `${SHIPPED_LAYOUTS}
      INSERT INTO files BY NAME SELECT * FROM files_v2;
      DROP TABLE files_v2;`,
  // 4: acknowledgements keep their history (alarm_acknowledgements); the ones made before start it.
  4: `INSERT INTO alarm_acknowledgements (alarm_id, acknowledged_at, acknowledged_by, assignable_cause, note)
      SELECT alarm_id, acknowledged_at, coalesce(acknowledged_by, ''), coalesce(assignable_cause, ''), NULL
      FROM spc_alarms WHERE acknowledged_at IS NOT NULL;`,
  // 7: a model with one track keeps its limits and alarms as that track's; a model with several keeps its
  // mixed limits under track '' (history only) and starts a series per track.
  7: `INSERT INTO control_limits BY NAME
      SELECT l.*, coalesce(one.track, '') AS track_id FROM control_limits_v6 l LEFT JOIN (${ONE_TRACK}) one USING (model);
      DROP TABLE control_limits_v6;
      UPDATE spc_alarms SET track_id = one.track FROM (${ONE_TRACK}) one WHERE spc_alarms.model = one.model;`,
  // 5: every file gets its unit keys.
  5: `UPDATE files SET model_key = lta_model_key(model), serial_key = lta_serial_key(serial);`,
};

/** The database's schema version (`null` for a new, empty file); refuses one newer than this build. */
export async function schemaVersion(db: Queryable, path: string): Promise<number | null> {
  const exists = await db.value(
    "SELECT count(*) FROM information_schema.tables WHERE table_name = 'lta_meta' AND table_schema = 'main'",
  );
  if (Number(exists) === 0) return null;
  const version = Number(await db.value("SELECT value FROM lta_meta WHERE key = 'schema_version'") ?? 0);
  if (version > SCHEMA_VERSION) {
    throw databaseError(
      "schema_too_new",
      path,
      `schema version ${version}, newer than this lta (${SCHEMA_VERSION}); upgrade lta to open it`,
    );
  }
  return version;
}

/**
 * Brings the database from `version` to this build's schema. All or nothing: a failed step leaves the
 * database at its old version, readable by the old lta.
 */
export async function migrate(conn: DuckDBConnection, version: number | null): Promise<void> {
  await conn.run("BEGIN TRANSACTION");
  try {
    const steps = [];
    for (let v = (version ?? SCHEMA_VERSION) + 1; v <= SCHEMA_VERSION; v++) steps.push(v);
    for (const v of steps) if (MIGRATIONS[v]) await conn.run(MIGRATIONS[v]);
    for (const file of SCHEMA_FILES) {
      await conn.run(await Deno.readTextFile(new URL(file, import.meta.url)));
    }
    for (const v of steps) if (FINISH[v]) await conn.run(FINISH[v]);
    if (version === null) await conn.run(SHIPPED_LAYOUTS);
    await conn.run("INSERT OR REPLACE INTO lta_meta VALUES ('schema_version', $1)", [String(SCHEMA_VERSION)]);
    await conn.run("COMMIT");
  } catch (e) {
    await conn.run("ROLLBACK");
    throw e;
  }
}
