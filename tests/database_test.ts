/** The database layer's long-lived handles: the reused column chunk, kept appenders and kept statements. */
import { deepEqual, equal, rejects } from "node:assert/strict";
import { join } from "node:path";
import { BIGINT, DOUBLE, DuckDBInstance, DuckDBTimestampValue, INTEGER, VARCHAR } from "@duckdb/node-api";
import { Database, withConnection } from "../src/db/database.ts";
import { CHUNK_ROWS, type ChunkColumn, ColumnChunk } from "../src/db/column_chunk.ts";

/** Appends a row (f, NULL, NULL, NULL, NULL) to t through the database's kept appender, unflushed. */
async function appendRow(db: Database, f: number) {
  const a = await db.appender("t");
  a.appendBigInt(BigInt(f));
  for (let k = 0; k < 4; k++) a.appendNull();
  a.endRow();
  return a;
}

async function scratchDb(): Promise<Database> {
  const dir = await Deno.makeTempDir({ prefix: "lta-db-" });
  const db = await Database.open(join(dir, "t.duckdb"), { noSchema: true });
  await db.conn.run("CREATE TABLE t (f BIGINT, a VARCHAR, b VARCHAR, i INTEGER, d DOUBLE)");
  return db;
}

Deno.test("ColumnChunk writes typed arrays and constants row for row, non-finite doubles as NULL, across chunk sizes", async () => {
  const db = await scratchDb();
  try {
    const chunk = new ColumnChunk([BIGINT, VARCHAR, VARCHAR, INTEGER, DOUBLE]);
    const appender = await db.appender("t");
    // 5,000 rows: two full chunks and a short one; every 7th value NaN, every 11th Infinity.
    const n = 5000;
    const d = Float64Array.from(
      { length: n },
      (_, i) => i % 7 === 0 ? NaN : i % 11 === 0 ? -Infinity : i * 0.25,
    );
    const i32 = Int32Array.from({ length: n }, (_, i) => i);
    const longText = "SEC1 TRK1 1 TRM1 — a sheet name past twelve bytes";
    const columns: ChunkColumn[] = [{ bigint: 42n }, { text: "TRK1" }, { text: longText }, { integer: i32 }, {
      double: d,
    }];
    for (let from = 0; from < n; from += CHUNK_ROWS) {
      chunk.append(appender, columns, from, Math.min(CHUNK_ROWS, n - from));
    }
    // A smaller chunk after a full one, all values finite: no NULL may linger from the chunk before.
    const tail = Float64Array.from([1, 2, 3]);
    chunk.append(
      appender,
      [{ bigint: 7n }, { text: "x" }, { text: "y" }, { integer: new Int32Array(3) }, {
        double: tail,
      }],
      0,
      3,
    );
    appender.flushSync();

    const [all] = await db.rows(
      `SELECT count(*)::INT AS n, count(d)::INT AS finite, sum(d) AS total, count(DISTINCT a)::INT AS a,
              min(b) FILTER (WHERE f = 42) AS b, max(i)::INT AS last, bool_and(i = rn - 1) FILTER (WHERE f = 42) AS ordered
       FROM (SELECT *, row_number() OVER () AS rn FROM t)`,
    );
    const finite = [...d].filter(Number.isFinite);
    equal(all.n, n + 3);
    equal(all.finite, finite.length + 3);
    equal(all.total, finite.reduce((s, v) => s + v, 0) + 6);
    equal(all.a, 2);
    equal(all.b, longText);
    equal(all.last, n - 1);
    equal(all.ordered, true);
    deepEqual(
      (await db.rows("SELECT d FROM t WHERE f = 7 ORDER BY d")).map((r) => r.d),
      [1, 2, 3],
    );
  } finally {
    db.close();
  }
});

Deno.test("a failed transaction discards what a kept appender held, and the next file appends afresh", async () => {
  const db = await scratchDb();
  try {
    await rejects(
      db.transaction(async () => {
        await appendRow(db, 1); // appended, never flushed: a file that failed half-way
        throw new Error("bad file");
      }),
      /bad file/,
    );
    await db.transaction(async () => (await appendRow(db, 2)).flushSync());
    deepEqual((await db.rows("SELECT f FROM t ORDER BY f")).map((r) => r.f), [2]);
  } finally {
    db.close();
  }
});

Deno.test("rowsOf() binds text, whole and fractional numbers, bigints, booleans and null to one kept statement", async () => {
  const db = await scratchDb();
  try {
    const sql = "INSERT INTO t VALUES ($1, $2, $3, $4::INTEGER, $5) RETURNING f, a, b, i, d";
    const first = await db.rowsOf(sql, [1, "one", null, 10, 0.5]);
    const second = await db.rowsOf(sql, [2n, "two", "true", true, -3]);
    deepEqual(first, [{ f: 1, a: "one", b: null, i: 10, d: 0.5 }]);
    deepEqual(second, [{ f: 2, a: "two", b: "true", i: 1, d: -3 }]);
    equal(Number(await db.value("SELECT count(*) FROM t")), 2);
  } finally {
    db.close();
  }
});

Deno.test("rows(), value() and exec() bind parameters with node-api's types and read every chunk of a result", async () => {
  const db = await scratchDb();
  try {
    const types = await db.rows(
      "SELECT typeof($1) AS small, typeof($2) AS large, typeof($3) AS fraction, typeof($4) AS big, typeof($5) AS text, typeof($6) AS flag, typeof($7) AS stamp",
      [7, 2 ** 40, 1.5, 5n, "x", true, new DuckDBTimestampValue(0n)],
    );
    deepEqual(types, [{
      small: "INTEGER",
      large: "BIGINT",
      fraction: "DOUBLE",
      big: "HUGEINT",
      text: "VARCHAR",
      flag: "BOOLEAN",
      stamp: "TIMESTAMP",
    }]);
    equal(await db.value("SELECT $1::INTEGER WHERE false", [1]), null);
    deepEqual(await db.rows("SELECT 1 AS one WHERE false"), []);
    // More rows than one data chunk holds, with and without parameters.
    const rows = CHUNK_ROWS * 2 + 3;
    equal(await db.exec("INSERT INTO t (f) SELECT range FROM range($1)", [rows]), rows);
    const read = await db.rows("SELECT f FROM t WHERE f >= $1 ORDER BY f", [0]);
    deepEqual([read.length, read[0].f, read.at(-1)!.f], [rows, 0, rows - 1]);
    equal((await db.rows("SELECT f FROM t")).length, rows);
    equal(await db.exec("DELETE FROM t WHERE f < $1", [10]), 10);
  } finally {
    db.close();
  }
});

/** The storage format DuckDB records for the file attached as `lta` (e.g. "v1.5.0+"). */
async function storageVersionOf(path: string): Promise<string> {
  const db = await Database.open(path, { readOnly: true, noSchema: true });
  try {
    const tags = String(
      await db.value("SELECT tags::VARCHAR FROM duckdb_databases() WHERE database_name = 'lta'"),
    );
    return /storage_version[^\w]+([\w.+]+)/.exec(tags)?.[1] ?? tags;
  } finally {
    db.close();
  }
}

Deno.test("database files are written in storage format v1.5, and an older file is upgraded with its rows kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lta-db-" });
  // A file as DuckDB writes it by default (readable by v1.0), with rows in it.
  const old = join(dir, "old.duckdb");
  const plain = await DuckDBInstance.create(old);
  const conn = await plain.connect();
  await conn.run("CREATE TABLE t AS SELECT range AS f FROM range(5000)");
  conn.closeSync();
  plain.closeSync();
  equal(await storageVersionOf(old), "v1.0.0+");

  for (const path of [old, join(dir, "new.duckdb")]) {
    const db = await Database.open(path, { noSchema: true });
    await db.conn.run("CREATE TABLE IF NOT EXISTS t (f BIGINT)");
    await db.conn.run("INSERT INTO t VALUES (-1)");
    await db.conn.run("CHECKPOINT");
    db.close();
    equal(await storageVersionOf(path), "v1.5.0+", path);
  }
  const db = await Database.open(old, { readOnly: true, noSchema: true });
  try {
    equal(Number(await db.value("SELECT count(*) FROM t")), 5001);
  } finally {
    db.close();
  }
});

Deno.test("reopen() attaches the file afresh in the same object: rows kept, appenders and statements anew, readers let through", async () => {
  const db = await scratchDb();
  try {
    const append = async (f: number) => (await appendRow(db, f)).flushSync();
    const count = "SELECT count(*) AS n FROM t WHERE f >= $1";
    await db.transaction(() => append(1));
    equal(Number((await db.rowsOf(count, [0]))[0].n), 1);

    // A reader in flight when the reopen starts finishes on the old instance; one that comes during it waits.
    let releaseReader!: () => void;
    const held = new Promise<void>((r) => (releaseReader = r));
    const inFlight = withConnection(db, async (c) => {
      await held;
      return Number(await c.value("SELECT count(*) FROM t"));
    });
    const reopened = db.reopen();
    const waiting = withConnection(db, async (c) => Number(await c.value("SELECT count(*) FROM t")));
    await new Promise((r) => setTimeout(r, 30));
    releaseReader();
    await reopened;
    deepEqual([await inFlight, await waiting], [1, 1]);

    await db.transaction(() => append(2));
    equal(Number((await db.rowsOf(count, [0]))[0].n), 2);
    equal(await db.value("SELECT current_database()"), "lta");
  } finally {
    db.close();
  }
});

Deno.test("Database.open() bounds what DuckDB may spill to its temp folder when told to", async () => {
  const dir = await Deno.makeTempDir();
  const db = await Database.open(join(dir, "spill.duckdb"), { maxTempDirectorySize: "2048MB" });
  try {
    equal(await db.value("SELECT current_setting('max_temp_directory_size')"), "1.9 GiB");
  } finally {
    db.close();
  }
});
