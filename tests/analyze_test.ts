/** Analysis formulas against hand-computed values and SciPy references, and fixture intents end to end. */
import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { analyzeTracks } from "../src/analyze/analyze.ts";
import { filtfilt } from "../src/analyze/filtfilt.ts";
import { exactOffset, failPoints, legacyOffset } from "../src/analyze/offset.ts";
import { sigmaGradient, sigmaThreshold } from "../src/analyze/sigma.ts";
import { analyzeTrack, type TrackInput } from "../src/analyze/track.ts";
import { ingestCommand } from "../src/cli/commands.ts";
import { Database } from "../src/db/database.ts";
import { generatedFixtures, workspace } from "./_helpers.ts";

const reference = JSON.parse(await Deno.readTextFile(new URL("./reference/expected.json", import.meta.url)));

function close(actual: number, expected: number, rel = 1e-9, what = "") {
  ok(
    Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-12),
    `${what}: ${actual} vs ${expected}`,
  );
}

Deno.test("filtfilt() matches SciPy's filtfilt(butter(2, 0.1)) to 1e-9 relative, padding included", () => {
  for (const [name, c] of Object.entries(reference.filtfilt) as [string, { x: number[]; y: number[] }][]) {
    const y = filtfilt(c.x);
    equal(y.length, c.y.length);
    c.y.forEach((v, i) => close(y[i], v, 1e-9, `${name}[${i}]`));
  }
});

Deno.test("filtfilt() reproduces the test vector printed in upstream-spec.md §3.2", () => {
  const y = filtfilt([0, .001, .003, .002, -.001, 0, .002, .004, .001, -.002, 0, .001]);
  const printed = [
    -0.00010454,
    0.00014549,
    0.00038186,
    0.00058521,
    0.00075072,
    0.00088111,
    0.0009761,
    0.001033,
  ];
  printed.forEach((v, i) => ok(Math.abs(y[i] - v) < 5e-9, `${i}: ${y[i]} vs ${v}`));
});

Deno.test("sigmaGradient() matches the SciPy reference, including short, zero-dx and constant tracks", () => {
  for (
    const [name, c] of Object.entries(reference.sigma) as [
      string,
      { pos: number[]; err: number[]; sigma: number },
    ][]
  ) {
    close(sigmaGradient(c.pos, c.err), c.sigma, 1e-9, name);
  }
  equal(sigmaGradient([0, 1], [0, 1]), 0, "one gradient: 0");
  equal(sigmaGradient(Array(30).fill(5), Array(30).fill(0.1)), 0, "all dx zero: no gradients");
});

Deno.test("sigmaThreshold() follows spec/(24·max(1, travel/100)) with its floor and fallbacks", () => {
  close(sigmaThreshold(0.05, 340), 0.05 / (24 * 3.4), 1e-15, "upstream example");
  close(sigmaThreshold(0.5, 1.55), 0.5 / 24, 1e-15, "short travel: factor 1");
  equal(sigmaThreshold(0.001, 1000), 0.0001);
  equal(sigmaThreshold(0.05, 0), 0.001);
  equal(sigmaThreshold(0, 340), 0.001);
});

Deno.test("legacyOffset() lands where SciPy's bounded minimize_scalar lands", () => {
  type OffsetCase = {
    err: number[];
    up: number[];
    lo: number[];
    legacy_offset: number;
    legacy_fails: number;
  };
  for (const [name, c] of Object.entries(reference.offset) as [string, OffsetCase][]) {
    const p = { error: c.err, upper: c.up, lower: c.lo };
    const got = legacyOffset(p);
    close(got, c.legacy_offset, 1e-9, name);
    equal(failPoints(p, got), c.legacy_fails, name);
  }
});

Deno.test("exactOffset() finds the fewest fail points, then the smallest max |e + c|", () => {
  // Errors 0.375..0.625 in a ±0.125 band (exact in binary): only c = -0.5 fits all three.
  const p = { error: [0.375, 0.5, 0.625], upper: [0.125, 0.125, 0.125], lower: [-0.125, -0.125, -0.125] };
  equal(exactOffset(p), -0.5, "single feasible point");
  equal(failPoints(p, exactOffset(p)), 0);
  // Loose band: feasible c ∈ [-0.1, 0.1]; min max|e + c| at c = -(0.02 + -0.01)/2 = -0.005.
  const q = { error: [0.02, -0.01, 0.0], upper: [0.1, 0.1, 0.1], lower: [-0.1, -0.1, -0.1] };
  close(exactOffset(q), -0.005, 1e-12, "centred");
  // One outlier cannot be fitted with the rest: one fail point, never more.
  const r = {
    error: [0, 0.001, -0.001, 0.5],
    upper: [0.01, 0.01, 0.01, 0.01],
    lower: [-0.01, -0.01, -0.01, -0.01],
  };
  equal(failPoints(r, exactOffset(r)), 1);
  ok(failPoints(r, legacyOffset(r)) >= 1);
});

/** A track whose arrays the test may edit in place. */
type EditableTrack = TrackInput & {
  error: number[];
  upper: Array<number | null>;
  lower: Array<number | null>;
};

function track(overrides: Partial<TrackInput> = {}): EditableTrack {
  const n = 40;
  const position = Array.from({ length: n }, (_, i) => i * 2);
  return {
    position,
    error: position.map((p) => 0.001 * Math.sin(p / 20)),
    upper: Array(n).fill(0.01),
    lower: Array(n).fill(-0.01),
    untrimmedError: null,
    untrimmedResistance: null,
    trimmedResistance: null,
    thresholdOverride: null,
    ...overrides,
  } as EditableTrack;
}
const settings = { offsetSearch: "exact" as const, nearMissPct: 10 };

Deno.test("analyzeTrack() reports ERROR with a reason for short tracks, missing limits and non-finite errors", () => {
  const short = analyzeTrack(
    track({ position: [0, 1, 2], error: [0, 0, 0], upper: [1, 1, 1], lower: [-1, -1, -1] }),
    settings,
  );
  deepEqual([short.status, short.statusReason], ["ERROR", "insufficient data: 3 points, at least 10 needed"]);
  const noLimits = analyzeTrack(
    track({ upper: Array(40).fill(null), lower: Array(40).fill(null) }),
    settings,
  );
  equal(noLimits.status, "ERROR");
  ok(noLimits.statusReason!.includes("no spec limits"));
  const nan = analyzeTrack(track({ error: Array(40).fill(NaN) }), settings);
  equal(nan.status, "ERROR");
});

Deno.test("analyzeTrack() ignores points with a missing limit when counting fails, but not in the error", () => {
  const t = track({ thresholdOverride: 1 });
  t.error[0] = 0.5;
  t.upper[0] = null;
  const r = analyzeTrack(t, settings);
  equal(r.failPoints, 0);
  equal(r.status, "PASS");
  ok(r.linearityError! >= 0.5 - Math.abs(r.optimalOffset!));
  close(r.linearitySpec!, 0.01, 1e-12, "spec from the non-null limits");
});

Deno.test("analyzeTrack() computes resistance change, trim improvement, risk and status by hand-checked formulas", () => {
  const t = track({
    untrimmedError: [0.004, -0.002],
    untrimmedResistance: 1000,
    trimmedResistance: 1050,
    thresholdOverride: 0.5,
  });
  const r = analyzeTrack(t, settings);
  close(r.resistanceChangePct!, 5, 1e-12, "ΔR%");
  const trimmedMax = Math.max(...t.error.map(Math.abs));
  close(r.trimImprovementPct!, ((0.004 - trimmedMax) / 0.004) * 100, 1e-12, "improvement");
  equal(r.thresholdSource, "model");
  close(r.failureProbability!, (r.sigmaGradient! / 0.5) * 0.8, 1e-12, "risk below threshold");
  deepEqual([r.riskCategory, r.status], ["Low", "PASS"]);
  // Sigma above threshold with linearity passing: WARNING; p = 0.9 + min(0.1, (ratio − 1)·0.1).
  const w = analyzeTrack(track({ thresholdOverride: 1e-6 }), settings);
  deepEqual([w.status, w.riskCategory, w.failureProbability], ["WARNING", "High", 1]);
  // Linearity failing adds 0.2 and gives FAIL.
  const f = track();
  f.error[10] = 0.5;
  f.error[30] = -0.5;
  const fr = analyzeTrack(f, settings);
  equal(fr.status, "FAIL");
  close(
    fr.failureProbability!,
    Math.min(
      1,
      (fr.sigmaGradient! / fr.sigmaThreshold!) >= 1
        ? 1
        : (fr.sigmaGradient! / fr.sigmaThreshold!) * 0.8 + 0.2,
    ),
    1e-12,
    "p",
  );
});

Deno.test("generated fixtures produce the verdicts they were built for", async () => {
  const { dir, manifest } = await generatedFixtures();
  const { config } = await workspace();
  await ingestCommand(manifest.filter((m) => !m.quarantine).map((m) => join(dir, m.file)), config);
  const db = await Database.open(config.db);
  try {
    let checked = 0;
    for (const m of manifest.filter((m) => !m.quarantine && !m.finalTest)) {
      const rows = await db.rows(
        "SELECT track_id, stage, overall_status, near_miss FROM v_tracks WHERE file_name = $1 ORDER BY track_id",
        [m.file],
      );
      deepEqual(
        rows.map((
          r,
        ) => [
          r.track_id,
          r.stage,
          r.overall_status === "PASS" && r.near_miss ? "NEAR_MISS" : r.overall_status,
        ]),
        m.tracks!.map((t) => [t.trackId, t.stage, t.intent]),
        m.file,
      );
      checked += rows.length;
    }
    ok(checked >= 20);
  } finally {
    db.close();
  }
});

Deno.test("a per-model threshold in model_thresholds replaces the formula when tracks are re-analysed", async () => {
  const { dir, manifest } = await generatedFixtures();
  const file = manifest.find((m) => m.model === "2475-10")!;
  const { config } = await workspace();
  await ingestCommand([join(dir, file.file)], config);
  const db = await Database.open(config.db);
  try {
    deepEqual(
      (await db.rows("SELECT threshold_source, sigma_pass FROM v_tracks")).map((
        r,
      ) => [r.threshold_source, r.sigma_pass]),
      [["formula", true]],
    );
    await db.conn.run(
      "INSERT INTO model_thresholds (model, sigma_threshold, note) VALUES ('2475-10', 1e-7, 'test')",
    );
    const summary = await analyzeTracks(db, { model: "2475-10" }, settings);
    deepEqual(summary.byStatus, { WARNING: 1 });
    const [row] = await db.rows("SELECT threshold_source, sigma_threshold, overall_status FROM v_tracks");
    deepEqual([row.threshold_source, row.sigma_threshold, row.overall_status], ["model", 1e-7, "WARNING"]);
    equal(Number(await db.value("SELECT count(*) FROM tracks")), 1, "re-analysis replaces, never duplicates");
  } finally {
    db.close();
  }
});
