/**
 * The lake as lta's own relations: a scratch DuckDB whose `files`, `tracks`, `v_tracks`, `points`,
 * `final_tests` and `final_test_points` are views over every site's Parquet exports, with `file_id`
 * replaced by the file's content hash (ids are per site; content is not) and, where a file was exported
 * more than once (a full export after nightly ones, a re-export after `lta analyze`), only its newest
 * export's rows (by the UTC stamp in its id, `<site>-<stamp>`). lta's view SQL
 * (`final_test_views.sql`) and its analyses that read `v_tracks` (capability, SPC queries) then run over
 * all sites unchanged, e.g. linking a final test bench's results to trims loaded by another instance.
 */
import { join } from "node:path";
import { Database } from "../db/database.ts";
import { exists } from "../fs.ts";
import { sqlString } from "../db/values.ts";

const TYPES = "hive_types = {'model': VARCHAR, 'date': DATE}";

/** The folder of every export's manifest (a leading `_`: Hadoop-style readers skip it when listing files). */
export const MANIFESTS = "_manifests";

/** An export's UTC stamp from its id (`<site>-<stamp>[-n]`): the newest export of a file is the one read. */
export const EXPORT_STAMP = "regexp_extract(export_id, '[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$')";

/** Opens `lakeDir` (an `exportDir` that one or many sites export to); close the result when done. */
export async function openLake(lakeDir: string): Promise<Database> {
  if (!await hasParquet(join(lakeDir, "tracks")) && !await hasParquet(join(lakeDir, "files"))) {
    throw new Error(
      `no lta Parquet exports in ${lakeDir} (expected ${join(lakeDir, "files")}/model=…/date=…)`,
    );
  }
  const db = await Database.open(":memory:", { externalAccess: true, noSchema: true });
  try {
    // The rows of each file's newest export only.
    const scan = (table: string) =>
      `(SELECT * FROM read_parquet(${
        sqlString(`${join(lakeDir, table)}/**/*.parquet`)
      }, hive_partitioning = true, ${TYPES}, union_by_name = true)
        QUALIFY export_id = arg_max(export_id, ${EXPORT_STAMP})
                              OVER (PARTITION BY sha256))`;
    await db.exec(await Deno.readTextFile(new URL("../db/unit_keys.sql", import.meta.url)));
    await db.exec(
      `CREATE VIEW files AS SELECT * REPLACE (sha256 AS file_id), lta_model_key(model) AS model_key,
         lta_serial_key(serial) AS serial_key FROM ${scan("files")}`,
    );
    await db.exec(`CREATE VIEW tracks AS SELECT * REPLACE (sha256 AS file_id) FROM ${scan("tracks")}`);
    // The export's tracks rows already carry what v_tracks adds (file name, model, serial, test date…);
    // exports from before schema version 7 lack the station, which the SPC series and filters name.
    const columns = (await db.rows("DESCRIBE tracks")).map((c) => String(c.column_name));
    await db.exec(
      `CREATE VIEW v_tracks AS SELECT *${
        columns.includes("station") ? "" : ", NULL::VARCHAR AS station"
      } FROM tracks`,
    );
    if (await hasParquet(join(lakeDir, "points"))) {
      await db.exec(`CREATE VIEW points AS SELECT * REPLACE (sha256 AS file_id) FROM ${scan("points")}`);
    }
    if (await hasParquet(join(lakeDir, "final_tests"))) {
      // As stored at the sites: the file's own columns come from `files` (v_final_tests joins them back).
      await db.exec(
        `CREATE VIEW final_tests AS
         SELECT * EXCLUDE (file_name, serial, test_date, model, date, site, export_id, sha256)
           REPLACE (sha256 AS file_id) FROM ${scan("final_tests")}`,
      );
      await db.exec(
        `CREATE VIEW final_test_points AS SELECT * EXCLUDE (model, date, site, export_id, sha256)
           REPLACE (sha256 AS file_id)
         FROM ${scan("final_test_points")}`,
      );
    } else {
      // No site has exported a final test yet: empty tables of the right shape keep the views valid.
      await db.exec(await Deno.readTextFile(new URL("../db/final_test.sql", import.meta.url)));
    }
    await db.exec(await Deno.readTextFile(new URL("../db/final_test_views.sql", import.meta.url)));
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

async function hasParquet(dir: string): Promise<boolean> {
  if (!await exists(dir)) return false;
  for await (const e of Deno.readDir(dir)) if (e.isDirectory || e.name.endsWith(".parquet")) return true;
  return false;
}
