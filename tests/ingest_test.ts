/** Loading files into a real DuckDB file on disk: ledger, points, quarantine, dedupe, versions, atomicity. */
import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { Database } from "../src/db/database.ts";
import { loadFile } from "../src/ingest/load.ts";
import { generatedFixtures, workspace } from "./_helpers.ts";
import { ingestCommand, reprocessCommand } from "../src/cli/commands.ts";

Deno.test("every generated fixture loads with its system, model, serial and point counts, or goes to quarantine with its reason", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { config } = await workspace();
  const summary = await ingestCommand(
    [...manifest.map((m) => join(dir, m.file))],
    { ...config, quarantineMode: "copy" },
  );
  equal(summary.loaded, manifest.filter((m) => !m.quarantine).length);
  equal(summary.quarantined, manifest.filter((m) => m.quarantine).length);
  const db = await Database.open(config.db);
  try {
    for (const m of manifest) {
      const [file] = await db.rows("SELECT * FROM files WHERE file_name = $1", [m.file]);
      ok(file, `${m.file} has a ledger row`);
      if (m.quarantine) {
        deepEqual([file.status, file.reason_code], ["quarantined", m.quarantine], m.file);
        ok(String(file.reason).startsWith(m.file), `reason names the file: ${file.reason}`);
        continue;
      }
      if (m.finalTest) continue; // tests/final_test_test.ts
      deepEqual(
        [file.status, file.system, file.model, file.serial],
        ["loaded", m.system, m.model, m.serial],
        m.file,
      );
      const tracks = await db.rows(
        "SELECT track_id, n_points, has_trimmed FROM track_meta WHERE file_id = $1 ORDER BY track_id",
        [Number(file.file_id)],
      );
      deepEqual(
        tracks.map((t) => [t.track_id, t.n_points, t.has_trimmed]),
        m.tracks!.map((t) => [t.trackId, t.nPoints, t.stage === "trimmed"]),
        m.file,
      );
      const points = await db.value(
        "SELECT count(*) FROM points WHERE file_id = $1 AND stage = $2",
        [Number(file.file_id), m.tracks![0].stage],
      );
      equal(Number(points), m.tracks!.reduce((n, t) => n + t.nPoints, 0), m.file);
      if (m.minSkippedRows) {
        ok(Number(file.skipped_rows) >= m.minSkippedRows, `${m.file} counts skipped rows`);
      }
    }
  } finally {
    db.close();
  }
});

Deno.test("messy sheets load as docs/domain.md says: blank errors as 0.0, recovered from volts, stray rows ignored", async () => {
  const { dir, manifest } = await generatedFixtures();
  const pick = (model: string, serial: string) =>
    join(dir, manifest.find((m) => m.model === model && m.serial === serial)!.file);
  const { config } = await workspace();
  await ingestCommand(
    [pick("8232-1", "6"), pick("8232-1", "7"), pick("8770", "8"), pick("6871A", "5")],
    config,
  );
  const db = await Database.open(config.db);
  try {
    const errs = async (serial: string) =>
      (await db.rows(
        `SELECT p.error, p.measured_volts - p.theory_volts AS diff FROM points p JOIN files f USING (file_id)
         WHERE f.serial = $1 AND p.stage = 'trimmed' ORDER BY p.row_index`,
        [serial],
      )).map((r) => [Number(r.error), Number(r.diff)]);
    const leading = await errs("6");
    deepEqual(leading.slice(0, 3).map(([e]) => e), [0, 0, 0]);
    const recovered = await errs("7");
    for (const [e, diff] of recovered.slice(-3)) {
      ok(Math.abs(e - diff) < 1e-12 && e !== 0, "recovered as meas − theory");
    }
    const zeros = await errs("8");
    deepEqual(zeros.slice(-5).map(([e]) => e), [0, 0, 0, 0, 0]);
    const stray = await db.value(
      "SELECT count(*) FROM points p JOIN files f USING (file_id) WHERE f.serial = '5' AND p.position = -10",
    );
    equal(Number(stray), 0);
  } finally {
    db.close();
  }
});

Deno.test("the same content under another name is a duplicate, not a second load", async () => {
  const { dir, manifest } = await generatedFixtures();
  const src = join(dir, manifest[0].file);
  const { inbox, config } = await workspace([src]);
  const copy = join(inbox, "copy of it.xls");
  await Deno.copyFile(src, copy);
  const first = await ingestCommand([join(inbox, manifest[0].file)], config);
  const second = await ingestCommand([copy], config);
  deepEqual([first.loaded, second.loaded, second.duplicate], [1, 0, 1]);
  const db = await Database.open(config.db);
  try {
    equal(Number(await db.value("SELECT count(*) FROM files")), 1);
    equal(Number(await db.value("SELECT count(*) FROM duplicates WHERE path = $1", [copy])), 1);
  } finally {
    db.close();
  }
});

Deno.test("the same name with new content is loaded as a new version", async () => {
  const { dir, manifest } = await generatedFixtures();
  const [a, b] = manifest.filter((m) => m.system === "A" && m.file.endsWith(".xls"));
  const { inbox, config } = await workspace();
  const target = join(inbox, a.file);
  await Deno.copyFile(join(dir, a.file), target);
  await ingestCommand([target], config);
  await Deno.copyFile(join(dir, b.file), target);
  await ingestCommand([target], config);
  const db = await Database.open(config.db);
  try {
    const rows = await db.rows("SELECT version, status FROM files WHERE file_name = $1 ORDER BY version", [
      a.file,
    ]);
    deepEqual(rows.map((r) => [r.version, r.status]), [[1, "loaded"], [2, "loaded"]]);
  } finally {
    db.close();
  }
});

Deno.test("a file whose transaction fails midway leaves no ledger row and no points", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { config } = await workspace();
  const db = await Database.open(config.db);
  try {
    const next = Number(await db.value("SELECT nextval('file_id_seq')")) + 1;
    // A conflicting track_meta row makes the load fail after its points were appended.
    await db.conn.run(
      `INSERT INTO track_meta (file_id, track_id, data_sheet, has_trimmed, n_points, n_untrimmed_points,
         skipped_rows, trim_passes) VALUES ($1, 'TRK1', 'x', true, 0, 0, 0, 0)`,
      [next],
    );
    await rejects(loadFile(db, join(dir, manifest[0].file), { quarantineDir: config.quarantineDir }));
    equal(Number(await db.value("SELECT count(*) FROM points WHERE file_id = $1", [next])), 0);
    equal(Number(await db.value("SELECT count(*) FROM files")), 0);
    await db.conn.run("DELETE FROM track_meta");
    const retry = await loadFile(db, join(dir, manifest[0].file), { quarantineDir: config.quarantineDir });
    equal(retry.kind, "loaded");
  } finally {
    db.close();
  }
});

Deno.test("a quarantined file is moved with a reason beside it, and reprocess retries it", async () => {
  const { dir, manifest } = await generatedFixtures();
  const good = manifest.find((m) => m.system === "A")!;
  const { inbox, config } = await workspace();
  // A good workbook with a .txt extension is quarantined; renamed in quarantine, reprocess loads it.
  const misnamed = join(inbox, good.file.replace(/\.xls$/, ".txt"));
  await Deno.copyFile(join(dir, good.file), misnamed);
  const first = await ingestCommand([misnamed], config);
  equal(first.quarantined, 1);
  const stored = join(config.quarantineDir, "wrong_extension", good.file.replace(/\.xls$/, ".txt"));
  ok((await Deno.readTextFile(`${stored}.reason.txt`)).startsWith("wrong_extension\n"));
  await rejects(Deno.stat(misnamed));
  const again = await reprocessCommand(config);
  equal(again.quarantined, 1, "still a .txt: quarantined again, not lost");
  const db = await Database.open(config.db);
  try {
    equal(Number(await db.value("SELECT count(*) FROM files WHERE status = 'quarantined'")), 1);
  } finally {
    db.close();
  }
});

Deno.test("reprocess loads a quarantined file once it has been fixed, in place of its quarantine record", async () => {
  const { dir, manifest } = await generatedFixtures();
  const good = manifest.find((m) => m.system === "A" && m.file.endsWith(".xls"))!;
  const { inbox, config } = await workspace();
  const path = join(inbox, good.file);
  await Deno.writeFile(path, new Uint8Array(100).fill(9));
  const first = await ingestCommand([path], config);
  equal(first.quarantined, 1);
  const quarantinedId = (first.outcomes[0] as { fileId: number }).fileId;
  // IT copies the station's good file over the damaged one in the quarantine folder.
  await Deno.copyFile(join(dir, good.file), join(config.quarantineDir, "corrupt_file", good.file));
  const again = await reprocessCommand(config);
  deepEqual([again.loaded, again.quarantined], [1, 0]);
  const db = await Database.open(config.db);
  try {
    deepEqual(
      (await db.rows("SELECT file_id, status FROM files")).map((r) => [Number(r.file_id), r.status]),
      [[quarantinedId, "loaded"]],
    );
    ok(Number(await db.value("SELECT count(*) FROM tracks WHERE file_id = $1", [quarantinedId])) > 0);
  } finally {
    db.close();
  }
});

Deno.test("a folder ingest skips Excel owner files and other extensions and takes files oldest first", async () => {
  const { dir, manifest } = await generatedFixtures();
  const loadable = manifest.filter((m) => !m.quarantine).slice(0, 3);
  const { inbox, config } = await workspace();
  for (const [i, m] of loadable.entries()) {
    const p = join(inbox, m.file);
    await Deno.copyFile(join(dir, m.file), p);
    await Deno.utime(p, 1_700_000_000 - i * 100, 1_700_000_000 - i * 100);
  }
  await Deno.writeTextFile(join(inbox, "~$lock.xlsx"), "owner");
  await Deno.writeTextFile(join(inbox, "readme.txt"), "hello");
  const summary = await ingestCommand([inbox], config);
  deepEqual([summary.loaded, summary.quarantined], [3, 0]);
  deepEqual(summary.outcomes.map((o) => o.path.split("/").at(-1)), loadable.map((m) => m.file).reverse());
});

Deno.test("a database written by a newer lta is refused with a message that says so, and left untouched", async () => {
  const { config } = await workspace();
  const db = await Database.open(config.db);
  await db.conn.run("UPDATE lta_meta SET value = '99' WHERE key = 'schema_version'");
  db.close();
  await rejects(
    Database.open(config.db),
    (e: Error) => e.message.includes("schema version 99, newer than this lta"),
  );
  const again = await Database.open(config.db, { readOnly: true }).catch((e: Error) => e);
  ok(again instanceof Error && again.message.includes("upgrade lta"));
});
