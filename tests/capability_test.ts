/**
 * Capability against hand-computed values: one-sided indices, PPM, the Anderson–Darling test (its A² from
 * SciPy 1.17's `scipy.stats.anderson` on the same numbers, committed here as data), the control check and
 * the outlier note.
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import { capability } from "../src/analyze/capability.ts";
import { adPValue, andersonDarling, outOfControl } from "../src/analyze/capability_checks.ts";
import { seed, withDb } from "./_spc_seed.ts";

const near = (a: number | null, b: number, what: string, rel = 1e-9) =>
  ok(a !== null && Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-12), `${what}: ${a} vs ${b}`);

/** 0.040 + 0.005 q for thirty q, in time order; three lie above the 0.05 spec. */
const Q = [
  -1.2,
  0.3,
  2.4,
  -0.5,
  0.9,
  -1.8,
  0.1,
  1.5,
  -0.2,
  2.1,
  -0.9,
  0.6,
  -0.1,
  1.1,
  -1.4,
  0.4,
  2.6,
  -0.7,
  0.8,
  -0.3,
  1.9,
  -1.1,
  0.2,
  -0.6,
  1.3,
  -2.0,
  0.5,
  -0.4,
  1.7,
  0.0,
];
const NEAR_SPEC = Q.map((q) => Number((0.04 + 0.005 * q).toFixed(6)));

Deno.test("linearity error is one-sided: Cpu and Ppu, no Cp, PPM above the spec, normality, in control", async () => {
  await withDb(async (db) => {
    await seed(db, "ONE", { linearity_error: NEAR_SPEC });
    const [lin] = (await capability(db, { model: "ONE", minN: 30, normality: true }))
      .filter((r) => r.metric === "linearity_error");
    // By hand (and NumPy): mean 0.0412, s 0.00610765, MR̄ 0.00972414 → σw 0.00862069.
    const mean = 0.0412;
    const s = 0.006107654891679954;
    const sw = 0.008620689655172415;
    equal(lin.sides, "upper");
    deepEqual([lin.lsl, lin.cp, lin.pp], [null, null, null], "no lower limit, so no Cp or Pp");
    near(lin.cpk, (0.05 - mean) / (3 * sw), "Cpu");
    near(lin.ppk, (0.05 - mean) / (3 * s), "Ppu");
    near(lin.ppm_above_observed, 100_000, "3 of 30 above 0.05");
    // 1 − Φ((0.05 − 0.0412) / s) = 0.0748185 (SciPy norm.sf).
    near(lin.ppm_above_expected, 74818.49540927248, "expected PPM", 1e-6);
    deepEqual([lin.ppm_below_observed, lin.ppm_below_expected], [null, null]);
    near(lin.anderson_darling, 0.12777572844584384, "A²", 1e-6);
    // A*² = A²(1 + 0.75/30 + 2.25/900) = 0.131290; p = 1 − exp(−13.436 + 101.14 A* − 223.73 A*²).
    near(lin.normality_p, 0.9819353151989566, "p", 1e-6);
    deepEqual([lin.beyond_control_limits, lin.in_control], [0, true]);
    equal(lin.rating, "incapable");
    deepEqual(lin.notes, []);
  });
});

Deno.test("the Anderson–Darling p-value follows D'Agostino and Stephens in each of its four ranges", () => {
  // A two-valued sample is as far from normal as it gets: A² 7.0221 (SciPy), p ≈ 1.6e-17.
  const twoValued = andersonDarling(Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.014 : 0.010)))!;
  near(twoValued.a2, 7.022058058328675, "A²", 1e-6);
  near(twoValued.p, 1.6407819955766615e-17, "p", 1e-5);
  // The two middle ranges, by hand: 1 − exp(−8.318 + 42.796·0.25 − 59.938·0.25²), exp(0.9177 − 4.279·0.45 − 1.38·0.45²).
  near(adPValue(0.25), 0.7446512446013425, "0.2 ≤ A* < 0.34", 1e-12);
  near(adPValue(0.45), 0.2760150184697347, "0.34 ≤ A* < 0.6", 1e-12);
  equal(andersonDarling([1, 2, 3]), null, "too few values");
  equal(andersonDarling(Array(20).fill(0.01)), null, "no spread");
});

Deno.test("a sample out of control gets its indices but no rating, and says why", async () => {
  await withDb(async (db) => {
    // Thirty calm points, then ten far above: the I-chart's limits from the moving range hold the calm ones.
    const calm = NEAR_SPEC.map((x) => x / 4);
    await seed(db, "SHIFT", { linearity_error: [...calm, ...Array(10).fill(0.03)] });
    const [lin] = (await capability(db, { model: "SHIFT", minN: 30 })).filter((r) =>
      r.metric === "linearity_error"
    );
    ok(lin.beyond_control_limits >= 2, `${lin.beyond_control_limits} beyond`);
    equal(lin.in_control, false);
    ok(lin.cpk !== null, "the index is still shown");
    equal(
      lin.rating,
      `not rated: out of control, ${lin.beyond_control_limits} of 40 points beyond the I-chart's 3σ limits`,
    );
    ok(lin.notes.some((n) => n.includes("not stable")), lin.notes.join("; "));
  });
});

Deno.test("one point in forty beyond 3σ is chance, two are not (binomial at 0.27%)", () => {
  // P(X ≥ 1 | 40, 0.0027) = 0.1025; P(X ≥ 2) = 0.0053.
  deepEqual([outOfControl(0, 40), outOfControl(1, 40), outOfControl(2, 40)], [false, false, true]);
  // 1,000 points: 2.7 expected; P(X ≥ 6) = 0.0565, P(X ≥ 7) = 0.0204.
  deepEqual([outOfControl(6, 1000), outOfControl(7, 1000)], [false, true]);
});

Deno.test("one spike that dominates σ overall is named in a note", async () => {
  await withDb(async (db) => {
    await seed(db, "SPIKE", { linearity_error: [...NEAR_SPEC.slice(0, 29).map((x) => x / 4), 0.5, 0.01] });
    const [lin] = (await capability(db, { model: "SPIKE", minN: 30 })).filter((r) =>
      r.metric === "linearity_error"
    );
    ok(lin.sigma_overall! > 5 * lin.robust_sigma!, `${lin.sigma_overall} vs ${lin.robust_sigma}`);
    ok(lin.notes.some((n) => n.includes("a few outliers dominate Ppk")), lin.notes.join("; "));
  });
});

Deno.test("sigma gradient is one-sided against its threshold; small samples are not rated", async () => {
  await withDb(async (db) => {
    await seed(db, "CAP", {
      sigma_gradient: Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.0003 : 0.0001)),
    });
    await seed(db, "FEW", { linearity_error: [0.01, 0.02, 0.015] });
    const rows = await capability(db, { minN: 30 });
    const sig = rows.find((r) => r.model === "CAP" && r.metric === "sigma_gradient")!;
    equal(sig.cp, null, "one-sided: no Cp");
    // mean 0.0002, MR̄ 0.0002 → σw 0.0002/1.128.
    near(sig.cpk, (0.00065 - 0.0002) / (3 * (0.0002 / 1.128)), "Cpu");
    const half = 1.96 * Math.sqrt(1 / (9 * 40) + sig.cpk! ** 2 / (2 * 39));
    near(sig.cpk_ci_low, sig.cpk! - half, "CI");
    equal(sig.rating, "incapable");
    equal(sig.normality_p, null, "not asked for");
    const few = rows.find((r) => r.model === "FEW" && r.metric === "linearity_error")!;
    deepEqual([few.n, few.cpk, few.rating, few.notes], [
      3,
      null,
      "not reported: 3 samples, at least 30 needed",
      [],
    ]);
  });
});

Deno.test("the Cpk trend rates each run of consecutive points on its own: a hand computation per run", async () => {
  await withDb(async (db) => {
    // Three runs of 30: around 0.010, 0.025 and 0.040 against the 0.05 spec, the same wiggle in each.
    const wiggle = Array.from({ length: 30 }, (_, i) => 0.002 * Math.sin(i * 2.1));
    const values = [0.01, 0.025, 0.04].flatMap((level) => wiggle.map((w) => level + w));
    await seed(db, "TREND", { linearity_error: values }, 0.05);
    const rows = await capability(db, { model: "TREND", minN: 30, windows: 24, metric: "linearity_error" });
    const runs = rows.filter((r) => r.period !== null);
    equal(runs.length, rows.length, "a row per run");
    deepEqual(
      runs.map((r) => r.n),
      [30, 30, 30],
      "runs of 30: 90 points over at most 24 runs of at least 30",
    );
    for (const [k, run] of runs.entries()) {
      const xs = values.slice(30 * k, 30 * k + 30);
      const mean = xs.reduce((s, x) => s + x, 0) / 30;
      const mr = xs.slice(1).reduce((s, x, i) => s + Math.abs(x - xs[i]), 0) / 29;
      near(run.cpk, (0.05 - mean) / (3 * (mr / 1.128)), `run ${k + 1}'s Cpk`, 1e-9);
    }
    ok(runs[0].cpk! > runs[1].cpk! && runs[1].cpk! > runs[2].cpk!, "the trend falls as the level rises");
  });
});
