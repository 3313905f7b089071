/** SPC against hand-computed values: Nelson rules on constructed sequences, drift, capability, limits. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { capability } from "../src/analyze/capability.ts";
import { controlLimits, runSpc, type SpcMetric } from "../src/analyze/spc.ts";
import { Database } from "../src/db/database.ts";
import { rng } from "../fixtures/trim_model.ts";
import { workspace } from "./_helpers.ts";
import { driftChartSvg, imrChartSvg } from "../src/render/spc_charts.ts";

let nextFileId = 1;

/** Inserts one file and one analysed track per value, a minute apart, for `model`. */
async function seed(db: Database, model: string, values: Partial<Record<SpcMetric, number[]>>, spec = 0.05) {
  const n = (values.sigma_gradient ?? values.linearity_error)!.length;
  for (let i = 0; i < n; i++) {
    const id = nextFileId++;
    await db.conn.run(
      `INSERT INTO files (file_id, path, file_name, sha256, size_bytes, version, status, system, model, serial, test_date,
                          ingested_at, parser_version)
       VALUES ($1, 'p', 'f' || $1, 's' || $1, 1, 1, 'loaded', 'A', $2, $1::VARCHAR,
               TIMESTAMP '2025-01-01' + to_minutes($3::BIGINT), now()::TIMESTAMP, '1')`,
      [id, model, i],
    );
    await db.conn.run(
      `INSERT INTO tracks (file_id, track_id, n_points, sigma_gradient, sigma_threshold, linearity_error, linearity_spec,
                           overall_status, offset_search, analysis_version, analyzed_at, near_miss)
       VALUES ($1, 'TRK1', 161, $2, 0.00065, $3, $4, 'PASS', 'exact', '1', now()::TIMESTAMP, false)`,
      [id, values.sigma_gradient?.[i] ?? 0.0002, values.linearity_error?.[i] ?? 0.01, spec],
    );
  }
}

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

async function withDb(work: (db: Database) => Promise<void>) {
  const { config } = await workspace();
  const db = await Database.open(config.db);
  try {
    await work(db);
  } finally {
    db.close();
  }
}

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

Deno.test("capability matches hand-computed Cp, Cpk, Pp, Ppk; small samples are not rated", async () => {
  await withDb(async (db) => {
    const alternating = Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.014 : 0.010));
    await seed(db, "CAP", {
      linearity_error: alternating,
      sigma_gradient: Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.0003 : 0.0001)),
    });
    await seed(db, "FEW", { linearity_error: [0.01, 0.02, 0.015] });
    const rows = await capability(db, { minN: 30 });
    const lin = rows.find((r) => r.model === "CAP" && r.metric === "linearity_error")!;
    // mean 0.012, MR̄ 0.004 → σw 0.004/1.128; s = 0.002·√(40/39); USL 0.05, LSL −0.05.
    const sw = 0.004 / 1.128;
    const so = 0.002 * Math.sqrt(40 / 39);
    const near = (a: number | null, b: number) =>
      ok(a !== null && Math.abs(a - b) < 1e-9 * Math.max(1, b), `${a} vs ${b}`);
    near(lin.cp, 0.1 / (6 * sw));
    near(lin.cpk, 0.038 / (3 * sw));
    near(lin.pp, 0.1 / (6 * so));
    near(lin.ppk, 0.038 / (3 * so));
    equal(lin.rating, "excellent");
    const half = 1.96 * Math.sqrt(1 / (9 * 40) + lin.cpk! ** 2 / (2 * 39));
    near(lin.cpk_ci_low, lin.cpk! - half);
    const sig = rows.find((r) => r.model === "CAP" && r.metric === "sigma_gradient")!;
    equal(sig.cp, null, "one-sided: no Cp");
    near(sig.cpk, (0.00065 - 0.0002) / (3 * (0.0002 / 1.128)));
    equal(sig.rating, "incapable");
    const few = rows.find((r) => r.model === "FEW" && r.metric === "linearity_error")!;
    deepEqual([few.n, few.cpk, few.rating], [3, null, "not reported: 3 samples, at least 30 needed"]);
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
