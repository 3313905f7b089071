/** Final Test files: detection, loading, the linearity verdict, the link to trims, and schema migration. */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { Database, SCHEMA_VERSION } from "../src/db/database.ts";
import { ingestCommand } from "../src/cli/commands.ts";
import { generatedFixtures, workspace } from "./_helpers.ts";

const finals = async () => (await generatedFixtures()).manifest.filter((m) => m.finalTest);

Deno.test("every Final Test fixture loads as a final test with its model, serial, points and verdict", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { config } = await workspace();
  await ingestCommand(manifest.filter((m) => !m.quarantine).map((m) => join(dir, m.file)), config);
  const expected = await finals();
  ok(expected.length >= 6, "standard and Rout_ files, matched and unmatched");
  const db = await Database.open(config.db);
  try {
    for (const m of expected) {
      const [row] = await db.rows(
        "SELECT * FROM v_final_tests f JOIN files USING (file_id) WHERE f.file_name = $1",
        [
          m.file,
        ],
      );
      ok(row, `${m.file} is in final_tests`);
      deepEqual(
        [row.kind, row.system, row.model, row.serial, row.format, row.n_points, row.position_column],
        [
          "final_test",
          null,
          m.model,
          m.serial,
          m.finalTest!.format,
          m.tracks![0].nPoints,
          m.finalTest!.positionColumn,
        ],
        m.file,
      );
      equal(row.reported_linearity, m.finalTest!.reportedLinearity, m.file);
      equal(row.overall_status, m.tracks![0].intent === "FAIL" ? "FAIL" : "PASS", m.file);
      const positions = (await db.rows(
        "SELECT position FROM final_test_points WHERE file_id = $1 ORDER BY rowid",
        [Number(row.file_id)],
      )).map((r) => Number(r.position));
      equal(positions.length, m.tracks![0].nPoints, `${m.file}: every point stored`);
      ok(positions.every((p, i) => i === 0 || p > positions[i - 1]), `${m.file}: positions ascend`);
    }
    const unmeasured = await db.value(
      "SELECT skipped_rows FROM v_final_tests WHERE file_name LIKE '9999-1-sn5%'",
    );
    equal(Number(unmeasured), 6, "rows with an index but no measurement are skipped and counted");
    equal(
      Number(
        await db.value(
          "SELECT count(*) FROM tracks t JOIN files f USING (file_id) WHERE f.kind = 'final_test'",
        ),
      ),
      0,
      "final tests never enter the trim verdicts (SPC, capability and reports read those)",
    );
  } finally {
    db.close();
  }
});

Deno.test("v_trim_vs_final links each final test to the closest earlier trim of its unit and lists the rest", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { config } = await workspace();
  await ingestCommand(manifest.filter((m) => !m.quarantine).map((m) => join(dir, m.file)), config);
  const db = await Database.open(config.db);
  try {
    for (const m of await finals()) {
      const rows = await db.rows("SELECT * FROM v_trim_vs_final WHERE final_file_name = $1", [m.file]);
      equal(rows.length, 1, `${m.file}: one row, matched or not`);
      equal(rows[0].trim_file_name, m.finalTest!.trimFile, m.file);
      if (m.finalTest!.trimFile) ok(Number(rows[0].days_since_trim) >= 0, m.file);
    }
    const unmatched = (await db.rows("SELECT final_file_name FROM v_final_tests_unmatched ORDER BY 1"))
      .map((r) => r.final_file_name);
    deepEqual(unmatched, (await finals()).filter((m) => !m.finalTest!.trimFile).map((m) => m.file).sort());
    const outcome = async (name: string) =>
      await db.value("SELECT outcome FROM v_trim_vs_final WHERE final_file_name = $1", [name]);
    equal(await outcome("2475-10-sn20_4-3-2024_8-05 AM.xlsx"), "escape", "a trim pass that fails final test");
    equal(await outcome("7063-A final 21_4-8-2024_10-00 AM.xls"), "trim_fail_final_pass");
    equal(
      await db.value("SELECT match_method FROM v_trim_vs_final WHERE final_file_name LIKE '8124-1-sn007%'"),
      "normalized",
      "sn007 is serial 7",
    );
  } finally {
    db.close();
  }
});

Deno.test("a trim loaded after its final test links to it: the match is computed, never stored stale", async () => {
  const { dir, manifest } = await generatedFixtures();
  const final = manifest.find((m) => m.file.startsWith("2475-10-sn19_4-2-2024"))!;
  const { config } = await workspace();
  await ingestCommand([join(dir, final.file)], config);
  const linked = async () => {
    const db = await Database.open(config.db);
    try {
      return await db.value("SELECT trim_file_name FROM v_trim_vs_final");
    } finally {
      db.close();
    }
  };
  equal(await linked(), null);
  await ingestCommand([join(dir, final.finalTest!.trimFile!)], config);
  equal(await linked(), final.finalTest!.trimFile);
});

Deno.test("a version 2 database is migrated in place: files.system becomes a lookup in station_layouts, acknowledgements a history", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { root, config } = await workspace();
  const v2 = join(root, "v2.duckdb");
  {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(v2);
    const conn = await instance.connect();
    await conn.run(await Deno.readTextFile(new URL("./data/schema_v2.sql", import.meta.url)));
    await conn.run(
      `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, system, model, test_date,
         ingested_at, parser_version, reason_code)
       VALUES (nextval('file_id_seq'), '/old/a.xls', 'a.xls', 'a', 10, 1, 'loaded', 'A', '2475-10',
                 '2024-03-14 09:00:00', now()::TIMESTAMP, '1.1.0', NULL),
              (nextval('file_id_seq'), '/old/b.xls', 'b.xls', 'b', 10, 1, 'loaded', 'B', '8340-1',
                 '2024-03-14 10:00:00', now()::TIMESTAMP, '1.1.0', NULL),
              (nextval('file_id_seq'), '/old/c.xls', 'c.xls', 'c', 10, 1, 'quarantined', NULL, NULL,
                 NULL, now()::TIMESTAMP, '1.1.0', 'no_data')`,
    );
    await conn.run(
      `INSERT INTO spc_alarms (alarm_id, model, metric, rule, description, first_at, last_at, first_file_id,
         last_file_id, file_ids, points, created_at, acknowledged_by, acknowledged_at, assignable_cause)
       VALUES (7, '2475-10', 'sigma_gradient', 'nelson_1', 'one point beyond 3σ', '2024-03-14', '2024-03-14', 1, 1,
               [1], 1, now(), 'M. Keller', '2024-03-15 08:00:00', 'worn nozzle')`,
    );
    conn.closeSync();
    instance.closeSync();
  }
  const db = await Database.open(v2);
  try {
    equal(db.openedAtVersion, 2);
    deepEqual(await db.rows("SELECT file_id::INT AS id, file_name, system, status FROM files ORDER BY 1"), [
      { id: 1, file_name: "a.xls", system: "A", status: "loaded" },
      { id: 2, file_name: "b.xls", system: "B", status: "loaded" },
      { id: 3, file_name: "c.xls", system: null, status: "quarantined" },
    ]);
    // Every file has its unit keys (version 5), as a file loaded now gets them.
    deepEqual(
      await db.rows("SELECT model_key, serial_key FROM files WHERE file_id = 1"),
      [{ model_key: "2475-10", serial_key: null }],
    );
    // Acknowledgements made before version 4 start each alarm's history.
    deepEqual(
      await db.rows(
        "SELECT alarm_id::INT AS id, acknowledged_by AS by, assignable_cause AS cause FROM alarm_acknowledgements",
      ),
      [{ id: 7, by: "M. Keller", cause: "worn nozzle" }],
    );
    deepEqual(await db.rows("SELECT system, station FROM station_layouts ORDER BY 1"), [
      { system: "A", station: "DLTS" },
      { system: "B", station: "LTS" },
    ]);
    // A system no layout row names is refused, as the CHECK did; with its row it is taken.
    await rejects(
      db.exec(`INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, system,
                 ingested_at, parser_version) VALUES (99, '/x', 'x.xls', 'x', 1, 1, 'loaded', 'Z', now(), '1')`),
      /foreign key/i,
    );
    await db.exec("INSERT INTO station_layouts VALUES ('Z', 'new station', 'a third layout')");
    await db.exec(`INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, system,
               ingested_at, parser_version) VALUES (99, '/x', 'x.xls', 'x', 1, 1, 'loaded', 'Z', now(), '1')`);
  } finally {
    db.close();
  }
  // New files load into the migrated ledger, its id sequence going on from the old rows.
  const trims = manifest.filter((m) => m.system).slice(0, 2).map((m) => join(dir, m.file));
  equal((await ingestCommand(trims, { ...config, db: v2 })).loaded, 2);
  const again = await Database.open(v2);
  try {
    equal(again.openedAtVersion, SCHEMA_VERSION);
    equal(Number(await again.value("SELECT min(file_id) FROM files WHERE file_id > 3 AND file_id <> 99")), 4);
  } finally {
    again.close();
  }
});

Deno.test("a version 1 database is migrated in place: its rows kept, marked as trims, final test tables added", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { root, config } = await workspace();
  const v1 = join(root, "v1.duckdb");
  {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(v1);
    const conn = await instance.connect();
    await conn.run(await Deno.readTextFile(new URL("./data/schema_v1.sql", import.meta.url)));
    await conn.run(
      `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, model, serial, test_date,
         ingested_at, parser_version)
       VALUES (nextval('file_id_seq'), '/old/a.xls', 'a.xls', 'abc', 10, 1, 'loaded', '2475-10', '19',
         '2024-03-14 09:00:00', now()::TIMESTAMP, '1.0.0')`,
    );
    conn.closeSync();
    instance.closeSync();
  }
  const db = await Database.open(v1);
  try {
    equal(db.openedAtVersion, 1);
    equal(Number(await db.value("SELECT value FROM lta_meta WHERE key = 'schema_version'")), SCHEMA_VERSION);
    deepEqual(await db.rows("SELECT file_name, kind FROM files"), [{ file_name: "a.xls", kind: "trim" }]);
    equal(Number(await db.value("SELECT count(*) FROM final_tests")), 0);
  } finally {
    db.close();
  }
  // The migrated database takes new files of both kinds, and its sequence goes on from the old rows.
  const files = manifest.filter((m) => m.file.startsWith("2475-10")).map((m) => join(dir, m.file));
  const summary = await ingestCommand(files, { ...config, db: v1 });
  equal(summary.loaded, files.length);
  const again = await Database.open(v1);
  try {
    equal(again.openedAtVersion, SCHEMA_VERSION);
    deepEqual(
      await again.rows("SELECT kind, count(*)::INT AS n FROM files GROUP BY kind ORDER BY kind"),
      [{ kind: "final_test", n: 3 }, { kind: "trim", n: 3 }],
    );
    deepEqual(
      await again.rows(
        "SELECT min(file_id)::INT AS lo, max(file_id)::INT AS hi, count(DISTINCT file_id)::INT AS n FROM files",
      ),
      [{ lo: 1, hi: 6, n: 6 }],
      "new file ids go on after the old ones",
    );
  } finally {
    again.close();
  }
});

Deno.test("a version 6 database with a busy ledger is migrated: station columns, indexes kept, limits and alarms per track", async () => {
  const { root } = await workspace();
  const v6 = join(root, "v6.duckdb");
  {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(v6);
    const conn = await instance.connect();
    await conn.run(await Deno.readTextFile(new URL("./data/schema_v6.sql", import.meta.url)));
    // Enough rows that the ledger's indexes span many blocks: dropping and rebuilding them in the
    // migration's transaction crashed DuckDB at COMMIT on a 35-day history.
    await conn.run(
      `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, system, model, serial,
         test_date, ingested_at, parser_version)
       SELECT i, '/inbox/f' || i || '.xls', 'f' || i || '.xls', md5(i::VARCHAR), 10, 1, 'loaded', 'A', '2475-10',
              i::VARCHAR, TIMESTAMP '2026-01-01' + to_minutes(i), TIMESTAMP '2026-01-01' + to_minutes(i), '1.1.0'
       FROM range(1, 20001) t(i)`,
    );
    // 2475-10 has one track, 8340-1 two: a one-track model's limits and alarms become its track's.
    await conn.run(
      `UPDATE files SET model = '8340-1' WHERE file_id > 19990;
       INSERT INTO tracks (file_id, track_id, n_points, sigma_gradient, sigma_threshold, linearity_error,
                           linearity_spec, overall_status, offset_search, analysis_version, analyzed_at, near_miss)
       SELECT file_id, t, 161, 0.0003, 0.00065, 0.01, 0.05, 'PASS', 'exact', '1', now(), false
       FROM files, (VALUES ('TRK1'), ('TRK2')) v(t) WHERE t = 'TRK1' OR model = '8340-1';
       INSERT INTO control_limits (model, metric, version, centre, sigma, lcl, ucl, mr_bar, n, computed_from,
                                   computed_to, computed_at)
       VALUES ('2475-10', 'sigma_gradient', 1, 0.0003, 0.00001, 0.00027, 0.00033, 0.0000113, 30, now(), now(), now()),
              ('8340-1', 'sigma_gradient', 1, 0.0003, 0.00001, 0.00027, 0.00033, 0.0000113, 30, now(), now(), now());
       INSERT INTO spc_alarms (model, metric, rule, description, first_at, last_at, first_file_id, last_file_id,
         file_ids, points, created_at)
       VALUES ('2475-10', 'sigma_gradient', 'nelson_1', 'beyond 3σ', now(), now(), 5, 5, [5], 1, now()),
              ('8340-1', 'sigma_gradient', 'nelson_1', 'beyond 3σ', now(), now(), 19995, 19995, [19995], 1, now());`,
    );
    conn.closeSync();
    instance.closeSync();
  }
  const db = await Database.open(v6);
  try {
    equal(db.openedAtVersion, 6);
    equal(
      Number(await db.value("SELECT count(*) FROM files WHERE station IS NULL AND line IS NULL")),
      20_000,
    );
    equal(Number(await db.value("SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'files'")), 2);
    deepEqual(await db.rows("SELECT model, track_id, kind, severity FROM v_alarms ORDER BY model"), [
      { model: "2475-10", track_id: "TRK1", kind: "spc", severity: "high" },
      { model: "8340-1", track_id: null, kind: "spc", severity: "high" },
    ]);
    deepEqual(await db.rows("SELECT model, track_id, version FROM control_limits ORDER BY model"), [
      { model: "2475-10", track_id: "TRK1", version: 1 },
      { model: "8340-1", track_id: "", version: 1 },
    ]);
    equal(Number(await db.value("SELECT file_id FROM files WHERE sha256 = md5('777')")), 777);
  } finally {
    db.close();
  }
});
