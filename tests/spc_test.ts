/** SPC against hand-computed values: Nelson rules on constructed sequences, drift, capability, limits. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { capability } from "../src/analyze/capability.ts";
import { controlLimits, runSpc } from "../src/analyze/spc.ts";
import { Database } from "../src/db/database.ts";
import { rng } from "../fixtures/trim_model.ts";
import { seed, withDb } from "./_spc_seed.ts";
import { driftChartSvg, imrChartSvg } from "../src/render/spc_charts.ts";

/** z-scores that break every Nelson rule's pattern: no run, trend, zone cluster or alternation. */
const CALM = [0.5, 1.5, -0.5, -1.5, 0.3, -0.2, 1.2];
const calm = (n: number) => Array.from({ length: n }, (_, i) => CALM[i % CALM.length]);

const TRIGGERS: Record<number, number[]> = {
  1: [4],
  2: Array(9).fill(0.5),
  3: [-1.0, -0.6, -0.2, 0.2, 0.6, 1.0],
  4: Array.from({ length: 14 }, (_, i) => (i % 2 ? -0.3 : 0.3)),
  5: [2.5, 0, 2.5],
  6: [1.5, 1.5, 0, 1.5, 1.5],
  7: Array.from({ length: 15 }, (_, i) => (i % 3 === 0 ? 0.1 : i % 3 === 1 ? -0.1 : 0)),
  8: Array.from({ length: 8 }, (_, i) => (i % 2 ? -1.5 : 1.5)),
};

const noRules = { sigma_gradient: [], linearity_error: [] };

async function nelsonCount(
  db: Database,
  model: string,
  zs: number[],
  rules: number[],
): Promise<Record<string, number>> {
  // Centre 0.02, σ 0.002, set by hand as version 1 of the limits.
  await seed(db, model, { linearity_error: zs.map((z) => 0.02 + 0.002 * z) });
  await db.conn.run(
    `INSERT INTO control_limits VALUES ($1, 'linearity_error', 1, 0.02, 0.002, 0.014, 0.026, 0.002256, 30,
       '2025-01-01', '2025-01-01', now()::TIMESTAMP)`,
    [model],
  );
  await runSpc(db, { baseline: 30, rules: { sigma_gradient: [], linearity_error: rules } }, [model]);
  const rows = await db.rows("SELECT rule, count(*) AS n FROM spc_alarms WHERE model = $1 GROUP BY rule", [
    model,
  ]);
  return Object.fromEntries(rows.map((r) => [String(r.rule), Number(r.n)]));
}

for (const [rule, trigger] of Object.entries(TRIGGERS)) {
  Deno.test(`Nelson rule ${rule} fires exactly once on a sequence built to break it once`, async () => {
    await withDb(async (db) => {
      const zs = [...calm(28), ...trigger, ...calm(28)];
      deepEqual(await nelsonCount(db, `R${rule}`, zs, [Number(rule)]), { [`nelson_${rule}`]: 1 });
    });
  });
}

Deno.test("a calm sequence fires none of the eight Nelson rules", async () => {
  await withDb(async (db) => {
    deepEqual(await nelsonCount(db, "CALM", calm(120), [1, 2, 3, 4, 5, 6, 7, 8]), {});
  });
});

Deno.test("an alarm records the points it stands on, and a re-evaluation does not duplicate it", async () => {
  await withDb(async (db) => {
    await nelsonCount(db, "R2", [...calm(28), ...TRIGGERS[2], ...calm(28)], [2]);
    const [alarm] = await db.rows(
      "SELECT points, len(file_ids) AS ids, first_file_id, last_file_id FROM spc_alarms",
    );
    // The calm filler's last point and next two are positive too: one run of 12 on one side.
    deepEqual([alarm.points, alarm.ids], [12, 12]);
    equal(Number(alarm.last_file_id) - Number(alarm.first_file_id), 11);
    await runSpc(db, { baseline: 30, rules: { sigma_gradient: [], linearity_error: [2] } }, ["R2"]);
    equal(Number(await db.value("SELECT count(*) FROM spc_alarms")), 1);
  });
});

/** Normal deviates from a seeded generator (Box–Muller). */
function normals(seed: number, n: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

/** Seeds of in-control series (a CUSUM's in-control run length is hundreds of points, but not infinite). */
const STABLE_SEEDS = [3, 7];

Deno.test("CUSUM raises an alarm within a few points of an injected drift, and nothing for stable models", async () => {
  await withDb(async (db) => {
    const mu = 0.0003;
    const sd = 0.00005;
    const shiftAt = 100;
    await seed(db, "STABLE-1", { sigma_gradient: normals(STABLE_SEEDS[0], 160).map((z) => mu + sd * z) });
    await seed(db, "STABLE-2", { sigma_gradient: normals(STABLE_SEEDS[1], 160).map((z) => mu + sd * z) });
    await seed(db, "DRIFT", {
      sigma_gradient: normals(5, 160).map((z, i) => mu + sd * z + (i >= shiftAt ? 2 * sd : 0)),
    });
    await runSpc(db, { baseline: 30, rules: noRules });
    const alarms = await db.rows(
      `SELECT model, rule, first_file_id - (SELECT min(file_id) FROM files f WHERE f.model = a.model) AS at
       FROM spc_alarms a ORDER BY model, first_file_id`,
    );
    deepEqual(
      alarms.filter((a) => String(a.model).startsWith("STABLE")),
      [],
      `no alarm on stable models: ${JSON.stringify(alarms)}`,
    );
    const cusum = alarms.find((a) => a.model === "DRIFT" && a.rule === "cusum_upper");
    ok(cusum, JSON.stringify(alarms));
    // ARL of a CUSUM (k = 0.5σ, h = 5σ) for a 2σ shift is about 4 points.
    ok(Number(cusum.at) >= shiftAt && Number(cusum.at) < shiftAt + 10, `alarm at point ${cusum.at}`);
    ok(!alarms.some((a) => a.model === "DRIFT" && Number(a.at) < shiftAt), "nothing before the shift");
  });
});

Deno.test("control limits are versioned: recomputing adds a version and keeps the old one", async () => {
  await withDb(async (db) => {
    await seed(db, "LIM", {
      linearity_error: Array.from(
        { length: 60 },
        (_, i) => (i < 30 ? (i % 2 ? 0.012 : 0.010) : (i % 2 ? 0.022 : 0.020)),
      ),
    });
    const v1 = (await controlLimits(db, "LIM", "linearity_error", 30))!;
    deepEqual([v1.version, Number(v1.centre.toFixed(6)), Number((v1.sigma * 1.128).toFixed(6))], [
      1,
      0.011,
      0.002,
    ]);
    equal((await controlLimits(db, "LIM", "linearity_error", 30))!.version, 1, "reused, not recomputed");
    const v2 = (await controlLimits(db, "LIM", "linearity_error", 30, true))!;
    deepEqual([v2.version, Number(v2.centre.toFixed(6))], [2, 0.021]);
    equal(Number(await db.value("SELECT count(*) FROM control_limits WHERE model = 'LIM'")), 2);
  });
});

Deno.test("the I-MR chart marks exactly the points inside alarms, and the drift chart draws CUSUM and EWMA", async () => {
  await withDb(async (db) => {
    await nelsonCount(db, "R1", [...calm(28), 4, ...calm(28)], [1]);
    const svg = (await imrChartSvg(db, "R1", "linearity_error"))!;
    const marks = svg.match(/role-mark violations_marks"[^]*?<\/g>/)?.[0] ?? "";
    equal((marks.match(/<path/g) ?? []).length, 1, "one red point: the one beyond 3σ");
    ok(svg.includes("limits version 1"));
    equal(await imrChartSvg(db, "NONE", "linearity_error"), null, "no limits, no chart");
    await seed(db, "DRIFTING", {
      sigma_gradient: normals(5, 80).map((z, i) => 0.0003 + 0.00005 * z + (i >= 50 ? 0.0001 : 0)),
    });
    const drift = (await driftChartSvg(db, "DRIFTING", 30))!;
    for (const label of ["CUSUM up", "CUSUM down", "EWMA", "upper limit"]) ok(drift.includes(label), label);
  });
});

Deno.test("SPC and capability run over history holding an absurd but finite value (1e308) without overflowing", async () => {
  await withDb(async (db) => {
    const values = Array.from({ length: 40 }, (_, i) => 0.02 + 0.001 * CALM[i % CALM.length]);
    await seed(db, "HUGE", { linearity_error: values });
    // Through lta's binder: node-api's own took 1e308 (a whole number as a double) for a BIGINT and failed.
    const huge = await db.exec(
      "UPDATE tracks SET linearity_error = $1 WHERE file_id = (SELECT max(file_id) - 4 FROM files WHERE model = 'HUGE')",
      [1e308],
    );
    equal(huge, 1);
    const summary = await db.transaction(() =>
      runSpc(db, { baseline: 30, rules: { sigma_gradient: [1], linearity_error: [1] } })
    );
    equal(summary.models, 1);
    const alarms = await db.rows(
      "SELECT rule, points FROM spc_alarms WHERE model = 'HUGE' AND metric = 'linearity_error'",
    );
    ok(alarms.some((a) => a.rule === "nelson_1"), JSON.stringify(alarms));
    const [row] = (await capability(db, { model: "HUGE", minN: 30 })).filter((r) =>
      r.metric === "linearity_error"
    );
    equal(row.n, 40);
    ok(Number.isFinite(row.sigma_overall!) && row.sigma_overall! > 1e300, `σ overall ${row.sigma_overall}`);
    ok(Number.isFinite(row.mean!), `mean ${row.mean}`);
  });
});
