/** Parity with upstream on its own 60 station files (../shared/real): point counts and every verdict. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { analyzeTracks } from "../src/analyze/analyze.ts";
import { ingestCommand } from "../src/cli/commands.ts";
import { Database } from "../src/db/database.ts";
import { REAL_DIR, upstreamResults, workspace } from "./_helpers.ts";

const r6 = (x: unknown) => Math.round(Number(x) * 1e6) / 1e6;

async function loadedRealFiles() {
  const { config } = await workspace();
  const summary = await ingestCommand([REAL_DIR], { ...config, quarantineMode: "copy" });
  return { config, summary };
}

/** Our row for an upstream row (upstream called System B's single track "default"). */
function keyOf(row: Record<string, unknown>): string {
  return `${row.file_name}|${row.track_id === "default" ? "TRK1" : row.track_id}`;
}

Deno.test("every real file loads with the point count per track that upstream recorded", async () => {
  const { config, summary } = await loadedRealFiles();
  const expected = await upstreamResults();
  equal(summary.quarantined, 0);
  equal(summary.loaded, new Set(expected.map((r) => r.file_name)).size);
  const db = await Database.open(config.db);
  try {
    const ours = new Map(
      (await db.rows(
        "SELECT f.file_name, m.track_id, m.n_points, f.system FROM track_meta m JOIN files f USING (file_id)",
      )).map((r) => [keyOf(r), r]),
    );
    equal(ours.size, expected.length);
    for (const row of expected) {
      const mine = ours.get(keyOf(row));
      ok(mine, `no track for ${keyOf(row)}`);
      deepEqual([mine.n_points, mine.system], [Number(row.n_points), row.system], keyOf(row));
    }
  } finally {
    db.close();
  }
});

Deno.test("the legacy offset search reproduces upstream's numbers on every real track; exact never fails more points", async () => {
  const { config } = await loadedRealFiles();
  const expected = await upstreamResults();
  const db = await Database.open(config.db);
  try {
    await analyzeTracks(db, { all: true }, { offsetSearch: "legacy", nearMissPct: 10 });
    const legacy = new Map((await db.rows("SELECT * FROM v_tracks")).map((r) => [keyOf(r), r]));
    for (const row of expected) {
      const t = legacy.get(keyOf(row))!;
      const k = keyOf(row);
      deepEqual(
        [
          t.n_points,
          r6(t.linearity_spec),
          r6(t.travel_length),
          r6(t.sigma_gradient),
          r6(t.sigma_threshold),
          r6(t.optimal_offset),
          r6(t.linearity_error),
          t.fail_points,
          t.raw_fail_points,
          t.overall_status,
        ],
        [
          Number(row.n_points),
          r6(row.linearity_spec),
          r6(row.travel_length),
          r6(row.sigma_gradient),
          r6(row.sigma_threshold_formula),
          r6(row.optimal_offset),
          r6(row.linearity_error),
          Number(row.linearity_fail_points),
          Number(row.raw_fail_points),
          row.status.toUpperCase(),
        ],
        k,
      );
    }

    await analyzeTracks(db, { all: true }, { offsetSearch: "exact", nearMissPct: 10 });
    const exact = new Map((await db.rows("SELECT * FROM v_tracks")).map((r) => [keyOf(r), r]));
    let fewer = 0;
    for (const row of expected) {
      const t = exact.get(keyOf(row))!;
      const upstreamFails = Number(row.linearity_fail_points);
      ok(
        Number(t.fail_points) <= upstreamFails,
        `${keyOf(row)}: exact ${t.fail_points} > upstream ${upstreamFails}`,
      );
      if (Number(t.fail_points) < upstreamFails) fewer++;
      deepEqual([r6(t.sigma_gradient), t.sigma_pass], [
        r6(row.sigma_gradient),
        legacy.get(keyOf(row))!.sigma_pass,
      ]);
      const expectedStatus = Number(t.fail_points) > 0 ? "FAIL" : t.sigma_pass ? "PASS" : "WARNING";
      equal(t.overall_status, expectedStatus, keyOf(row));
    }
    equal(fewer, 8, "docs/domain.md: the exact search finds fewer fail points on 8 real tracks");
    const flips = await db.rows("SELECT * FROM v_offset_disagreements");
    equal(flips.length, 2, "docs/domain.md: 2 upstream FAILs become PASS");
    ok(flips.every((f) => f.overall_status === "PASS" && f.other_search_status === "FAIL"));
  } finally {
    db.close();
  }
});
