/** SPC against hand-computed values: Nelson rules on constructed sequences, drift, capability, limits. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { capability } from "../src/analyze/capability.ts";
import { type ControlLimits, controlLimits, nelsonEpisodes, runSpc } from "../src/analyze/spc.ts";
import { recomputeLimits } from "../src/analyze/control_limits.ts";
import { Database } from "../src/db/database.ts";
import { rng } from "../fixtures/trim_model.ts";
import { seed, withDb } from "./_spc_seed.ts";
import { driftChartSvg, imrChartSvg } from "../src/render/spc_charts.ts";
import { familyOf, shortRunSvg } from "../src/render/short_run.ts";

const near = (a: number, b: number) => ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

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
  // Centre 0.02, σ 0.002, set by hand as version 1 of the limits of the model's one track.
  await seed(db, model, { linearity_error: zs.map((z) => 0.02 + 0.002 * z) });
  await db.conn.run(
    `INSERT INTO control_limits (model, track_id, metric, version, centre, sigma, lcl, ucl, mr_bar, n, computed_from, computed_to, computed_at) VALUES ($1, 'TRK1', 'linearity_error', 1, 0.02, 0.002, 0.014, 0.026, 0.002256, 30,
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

Deno.test("limits stay on the first baseline while a drift raises alarms; a chosen baseline gives its centre", async () => {
  await withDb(async (db) => {
    // A day apart: 30 points around 0.011, then the drift, 30 around 0.021.
    await seed(db, "LIM", {
      linearity_error: Array.from(
        { length: 60 },
        (_, i) => (i < 30 ? (i % 2 ? 0.012 : 0.010) : (i % 2 ? 0.022 : 0.020)),
      ),
    });
    await db.exec(
      `UPDATE files SET test_date = TIMESTAMP '2025-01-01' + to_days((file_id - (SELECT min(file_id) FROM files
         WHERE model = 'LIM'))::INTEGER) WHERE model = 'LIM'`,
    );
    const v1 = (await controlLimits(
      db,
      { model: "LIM", track: "TRK1", station: null },
      "linearity_error",
      30,
    )) as ControlLimits;
    deepEqual([v1.version, Number(v1.centre.toFixed(6)), Number((v1.sigma * 1.128).toFixed(6))], [
      1,
      0.011,
      0.002,
    ]);
    const rules = { sigma_gradient: [], linearity_error: [1, 2] };
    const run = await db.transaction(() => runSpc(db, { baseline: 30, rules }));
    ok(run.newAlarms >= 1, "the drift raises alarms");
    const after = (await controlLimits(
      db,
      { model: "LIM", track: "TRK1", station: null },
      "linearity_error",
      30,
    )) as ControlLimits;
    deepEqual([after.version, after.centre], [1, v1.centre], "the limits stay put");
    const change = { by: "qe", reason: "new trim program after the drift was explained" };
    const v2 = await recomputeLimits(
      db,
      { model: "LIM", track: "TRK1", station: null },
      "linearity_error",
      { from: "2025-01-31", points: 30 },
      change,
      30,
    );
    deepEqual([(v2 as ControlLimits).version, Number((v2 as ControlLimits).centre.toFixed(6))], [2, 0.021]);
    // Days 30–39 without the file of day 30 (0.020): five of 0.022 and four of 0.020.
    const [day30] = await db.rows(
      "SELECT file_id FROM files WHERE model = 'LIM' AND test_date = TIMESTAMP '2025-01-31'",
    );
    await db.exec(
      "INSERT INTO spc_exclusions VALUES ('LIM', NULL, $1, 'probe re-seated', 'qe', now()::TIMESTAMP)",
      [
        Number(day30.file_id),
      ],
    );
    const v3 = await recomputeLimits(
      db,
      { model: "LIM", track: "TRK1", station: null },
      "linearity_error",
      { from: "2025-01-31", to: "2025-02-09" },
      change,
      5,
    );
    near((v3 as ControlLimits).centre, (5 * 0.022 + 4 * 0.020) / 9);
    const [kept] = await db.rows(
      "SELECT computed_by, reason, baseline, excluded, n FROM control_limits WHERE model = 'LIM' AND version = 3",
    );
    deepEqual(kept, {
      computed_by: "qe",
      reason: change.reason,
      baseline: "all points 2025-01-31 to 2025-02-09",
      excluded: 1,
      n: 9,
    });
    const few = await recomputeLimits(
      db,
      { model: "LIM", track: "TRK1", station: null },
      "linearity_error",
      { from: "2025-02-25" },
      change,
      30,
    );
    deepEqual(few, { why: "5 points in the baseline, at least 30 needed" });
    equal(
      Number(await db.value("SELECT count(*) FROM control_limits WHERE model = 'LIM'")),
      3,
      "linearity v1–v3; the constant sigma gradient has none",
    );
  });
});

Deno.test("a rule's K changes what it catches: seven on one side is a run with K = 7, not with 9", async () => {
  await withDb(async (db) => {
    // calm(27) ends below the centre, and −1 follows the run: exactly seven above it.
    const zs = [...calm(27), ...Array(7).fill(0.5), -1, ...calm(7)];
    await seed(db, "K", { linearity_error: zs.map((z) => 0.02 + 0.001 * z) });
    const limits = (await controlLimits(
      db,
      { model: "K", track: "TRK1", station: null },
      "linearity_error",
      27,
    )) as ControlLimits;
    const count = async (k: Record<number, number>) =>
      (await nelsonEpisodes(
        db,
        { model: "K", track: "TRK1", station: null },
        "linearity_error",
        limits,
        [2],
        undefined,
        k,
      ))
        .length;
    deepEqual([await count({}), await count({ 2: 7 })], [0, 1]);
  });
});

Deno.test("the I-MR chart marks exactly the points inside alarms, and the drift chart draws CUSUM and EWMA", async () => {
  await withDb(async (db) => {
    await nelsonCount(db, "R1", [...calm(28), 4, ...calm(28)], [1]);
    const svg = (await imrChartSvg(db, { model: "R1", track: "TRK1", station: null }, "linearity_error"))!;
    const marks = svg.match(/role-mark violations_marks"[^]*?<\/g>/)?.[0] ?? "";
    equal((marks.match(/<path/g) ?? []).length, 1, "one red point: the one beyond 3σ");
    ok(svg.includes("limits version 1"));
    equal(
      await imrChartSvg(db, { model: "NONE", track: "TRK1", station: null }, "linearity_error"),
      null,
      "no limits, no chart",
    );
    await seed(db, "DRIFTING", {
      sigma_gradient: normals(5, 80).map((z, i) => 0.0003 + 0.00005 * z + (i >= 50 ? 0.0001 : 0)),
    });
    const drift = (await driftChartSvg(db, { model: "DRIFTING", track: "TRK1", station: null }, 30))!;
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

Deno.test("a model's TRK1 and TRK2 are separate series: limits of their own, alarms only on the track that drifts", async () => {
  await withDb(async (db) => {
    // TRK1 stable around 0.0003; TRK2 stable around 0.0006, then up by 2σ from point 100.
    const sd = 0.00005;
    const one = normals(STABLE_SEEDS[0], 160).map((z) => 0.0003 + sd * z);
    const two = normals(5, 160).map((z, i) => 0.0006 + sd * z + (i >= 100 ? 2 * sd : 0));
    await seed(db, "DUAL", { sigma_gradient: one });
    await db.exec(
      `INSERT INTO tracks (file_id, track_id, n_points, sigma_gradient, sigma_threshold, linearity_error,
                           linearity_spec, overall_status, offset_search, analysis_version, analyzed_at, near_miss)
       SELECT file_id, 'TRK2', 161, ($1::DOUBLE[])[row_number() OVER (ORDER BY file_id)::INT], 0.00065, 0.01, 0.05,
              'PASS', 'exact', '1', now()::TIMESTAMP, false
       FROM files WHERE model = 'DUAL'`,
      [`[${two.join(",")}]`],
    );
    const summary = await runSpc(db, { baseline: 30, rules: noRules });
    deepEqual([summary.models, summary.series], [1, 2]);
    const limits = await db.rows(
      `SELECT track_id, round(centre, 4) AS centre FROM control_limits WHERE metric = 'sigma_gradient'
       ORDER BY track_id`,
    );
    deepEqual(limits, [{ track_id: "TRK1", centre: 0.0003 }, { track_id: "TRK2", centre: 0.0006 }]);
    const alarms = await db.rows("SELECT DISTINCT track_id, rule FROM spc_alarms ORDER BY ALL");
    ok(alarms.length > 0 && alarms.every((a) => a.track_id === "TRK2"), JSON.stringify(alarms));
    ok(alarms.some((a) => a.rule === "cusum_upper"), "the drift of TRK2 is caught");
    const chart = (await imrChartSvg(db, { model: "DUAL", track: "TRK2", station: null }, "sigma_gradient"))!;
    ok(chart.includes("DUAL TRK2"), "the chart names its series");
    equal(
      Number((await runSpc(db, { baseline: 30, rules: noRules })).newAlarms),
      0,
      "a second run raises nothing new",
    );
  });
});

Deno.test("a model too new for limits gets its family's short-run chart: values over their limit, one centre and 3σ", async () => {
  await withDb(async (db) => {
    const old = Array.from({ length: 40 }, (_, i) => 0.02 + 0.002 * Math.sin(i));
    const young = [0.03, 0.031, 0.029, 0.03, 0.032];
    await seed(db, "8340-1", { linearity_error: old }, 0.05);
    await seed(db, "8340-9", { linearity_error: young }, 0.04);
    await seed(db, "9999", { linearity_error: young }, 0.04);
    const svg = (await shortRunSvg(db, "8340-9", "linearity_error", 30))!;
    ok(svg.includes("family 8340: 8340-1, 8340-9") && svg.includes("45 points"), "the family and its points");
    // By hand: each value over its own spec, the mean of the 45 in test order.
    const zs = [...old.map((x) => x / 0.05), ...young.map((x) => x / 0.04)];
    const centre = zs.reduce((s, z) => s + z, 0) / zs.length;
    ok(svg.includes(`centre ${centre.toPrecision(3)}`), `centre ${centre.toPrecision(3)}`);
    for (const label of ["this model", "family limits", "UCL"]) ok(svg.includes(label), label);
    equal(await shortRunSvg(db, "9999", "linearity_error", 30), null, "a family of five points has no chart");
    equal(familyOf("7063-A"), "7063");
  });
});

Deno.test("each station trims its own series: limits per station, a drift on one station alarms only there", async () => {
  await withDb(async (db) => {
    const sd = 0.00005;
    // Files alternate between LT-1 (around 0.0003) and LT-2 (around 0.0006, drifting up after its 50th).
    const one = normals(STABLE_SEEDS[1], 80).map((z) => 0.0003 + sd * z);
    const two = normals(5, 80).map((z, i) => 0.0006 + sd * z + (i >= 50 ? 2 * sd : 0));
    await seed(db, "PAIR", { sigma_gradient: one.flatMap((x, i) => [x, two[i]]) });
    await db.exec(
      `UPDATE files SET station = CASE WHEN (file_id - (SELECT min(file_id) FROM files WHERE model = 'PAIR')) % 2 = 0
                                       THEN 'LT-1' ELSE 'LT-2' END WHERE model = 'PAIR'`,
    );
    const summary = await runSpc(db, { baseline: 30, rules: noRules });
    deepEqual([summary.models, summary.series], [1, 2]);
    deepEqual(
      await db.rows(
        `SELECT station, round(centre, 4) AS centre FROM control_limits WHERE metric = 'sigma_gradient' ORDER BY 1`,
      ),
      [{ station: "LT-1", centre: 0.0003 }, { station: "LT-2", centre: 0.0006 }],
    );
    const alarms = await db.rows("SELECT DISTINCT station, kind FROM v_alarms ORDER BY ALL");
    ok(alarms.length > 0 && alarms.every((a) => a.station === "LT-2"), JSON.stringify(alarms));
    const chart =
      (await imrChartSvg(db, { model: "PAIR", track: "TRK1", station: "LT-2" }, "sigma_gradient"))!;
    ok(chart.includes("PAIR TRK1 @ LT-2"), "the chart names its station");
  });
});
