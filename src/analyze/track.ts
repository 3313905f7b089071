/**
 * One track's verdict from its points: sigma gradient, linearity after the optimal offset, margins,
 * resistance change, risk and status, by the formulas of docs/domain.md ("One track's verdict").
 */
import { failPoints, type LimitedPoints, type OffsetSearch, optimalOffset } from "./offset.ts";
import { sigmaGradient, sigmaThreshold } from "./sigma.ts";

/** Bumped whenever a formula changes, so re-analysed rows can be told from old ones. */
export const ANALYSIS_VERSION = "1.0.0";
export const MIN_POINTS = 10;

/** A track's points: arrays from the database, or a parsed stage's typed arrays (NaN there = no limit). */
export interface TrackInput {
  position: ArrayLike<number>;
  error: ArrayLike<number>;
  upper: ArrayLike<number | null>;
  lower: ArrayLike<number | null>;
  /** Raw errors of the untrimmed stage when the track has both stages. */
  untrimmedError: ArrayLike<number> | null;
  untrimmedResistance: number | null;
  trimmedResistance: number | null;
  /** A per-model threshold that replaces the formula (table `model_thresholds`). */
  thresholdOverride: number | null;
}

export interface TrackSettings {
  offsetSearch: OffsetSearch;
  /** A pass whose margin to the nearest limit is below this percentage of the band is a near miss. */
  nearMissPct: number;
}

export type Status = "PASS" | "FAIL" | "WARNING" | "ERROR";

export interface TrackResult {
  nPoints: number;
  travelLength: number | null;
  linearitySpec: number | null;
  sigmaGradient: number | null;
  sigmaThreshold: number | null;
  thresholdSource: "formula" | "model" | null;
  sigmaPass: boolean | null;
  optimalOffset: number | null;
  linearityError: number | null;
  linearityPass: boolean | null;
  failPoints: number | null;
  rawFailPoints: number | null;
  rawLinearityError: number | null;
  marginToSpec: number | null;
  maxViolation: number | null;
  avgViolation: number | null;
  nearMiss: boolean | null;
  resistanceChangePct: number | null;
  trimImprovementPct: number | null;
  failureProbability: number | null;
  riskCategory: "High" | "Medium" | "Low" | null;
  status: Status;
  statusReason: string | null;
  /** The same verdict with the other offset search, so disagreements can be listed. */
  other: { offset: number; failPoints: number; status: Status } | null;
}

function errorResult(nPoints: number, reason: string): TrackResult {
  return {
    nPoints,
    travelLength: null,
    linearitySpec: null,
    sigmaGradient: null,
    sigmaThreshold: null,
    thresholdSource: null,
    sigmaPass: null,
    optimalOffset: null,
    linearityError: null,
    linearityPass: null,
    failPoints: null,
    rawFailPoints: null,
    rawLinearityError: null,
    marginToSpec: null,
    maxViolation: null,
    avgViolation: null,
    nearMiss: null,
    resistanceChangePct: null,
    trimImprovementPct: null,
    failureProbability: 1,
    riskCategory: null,
    status: "ERROR",
    statusReason: reason,
    other: null,
  };
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
/** A limit is there unless the cell was blank: null from the database, NaN from a parsed stage. */
const hasLimit = (v: number | null): v is number => v !== null && !Number.isNaN(v);
const some = (v: ArrayLike<number>, test: (x: number) => boolean) => {
  for (let i = 0; i < v.length; i++) if (test(v[i])) return true;
  return false;
};
const every = (v: ArrayLike<number>, test: (x: number) => boolean) => !some(v, (x) => !test(x));
const maxAbs = (v: ArrayLike<number>, c = 0) => {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] + c));
  return m;
};

/** The `count` points of `t` with both limits, copied out. */
function limitedOnly(t: TrackInput, count: number): LimitedPoints {
  const error = new Float64Array(count);
  const upper = new Float64Array(count);
  const lower = new Float64Array(count);
  for (let i = 0, k = 0; i < t.position.length; i++) {
    const u = t.upper[i];
    const l = t.lower[i];
    if (hasLimit(u) && hasLimit(l)) {
      error[k] = t.error[i];
      upper[k] = u;
      lower[k++] = l;
    }
  }
  return { error, upper, lower };
}

/** How many points have both limits, and each limit's mean over the points that have it. */
function limitSummary(t: TrackInput): { both: number; spec: number } {
  let both = 0;
  let upperSum = 0;
  let upperN = 0;
  let lowerSum = 0;
  let lowerN = 0;
  for (let i = 0; i < t.position.length; i++) {
    const u = t.upper[i];
    const l = t.lower[i];
    if (hasLimit(u)) {
      upperSum += u;
      upperN++;
    }
    if (hasLimit(l)) {
      lowerSum += l;
      lowerN++;
    }
    if (hasLimit(u) && hasLimit(l)) both++;
  }
  return { both, spec: upperN && lowerN ? (upperSum / upperN - lowerSum / lowerN) / 2 : 0.01 };
}

/** The span of positions (0.001 when all are equal, as upstream). */
function travelOf(position: ArrayLike<number>): number {
  let pMin = Infinity;
  let pMax = -Infinity;
  for (let i = 0; i < position.length; i++) {
    pMin = Math.min(pMin, position[i]);
    pMax = Math.max(pMax, position[i]);
  }
  return pMax - pMin || 0.001;
}

/** After offset `c`: how far each failing point lies outside, and the smallest margin of the others (% of band). */
function marginsAfter(limited: LimitedPoints, c: number): { marginPct: number; violations: number[] } {
  let marginPct = Infinity;
  const violations: number[] = [];
  for (let i = 0; i < limited.error.length; i++) {
    const v = limited.error[i] + c;
    const u = limited.upper[i];
    const l = limited.lower[i];
    if (v > u) violations.push(v - u);
    else if (v < l) violations.push(l - v);
    else if (u - l > 0) marginPct = Math.min(marginPct, (Math.min(u - v, v - l) / (u - l)) * 100);
  }
  return { marginPct, violations };
}

/** Upstream's failure probability: from sigma against its threshold, raised by a linearity failure. */
function failureProbability(sigma: number, threshold: number, linearityPass: boolean): number {
  const ratio = threshold > 0 ? sigma / threshold : 1;
  let p = ratio >= 1 ? 0.9 + Math.min(0.1, (ratio - 1) * 0.1) : ratio * 0.8;
  if (!linearityPass) p += 0.2;
  return Math.min(1, Math.max(0, p));
}

/** Why a track is not PASS, in a sentence. */
function statusReason(v: Verdict, sigma: number, threshold: number): string | null {
  if (v.status === "FAIL") return `${v.fails} point(s) outside the limits after offset ${v.c.toPrecision(6)}`;
  if (v.status === "WARNING") {
    return `sigma gradient ${sigma.toPrecision(4)} above threshold ${threshold.toPrecision(4)}`;
  }
  return null;
}

interface Verdict {
  c: number;
  fails: number;
  status: Status;
}

/** Analyses one track; never throws for bad data (the result says ERROR with a reason). */
export function analyzeTrack(t: TrackInput, s: TrackSettings): TrackResult {
  const n = t.position.length;
  if (n < MIN_POINTS) return errorResult(n, `insufficient data: ${n} points, at least ${MIN_POINTS} needed`);
  if (!some(t.error, Number.isFinite) || !every(t.position, Number.isFinite)) {
    return errorResult(n, "no finite error values or a non-finite position");
  }
  const { both, spec } = limitSummary(t);
  if (both === 0) return errorResult(n, "no spec limits: no point has both an upper and a lower limit");
  // Every point limited (the usual case) needs no copy: a million-point track saves 24 MB.
  const limited: LimitedPoints = both === n
    ? { error: t.error, upper: t.upper as ArrayLike<number>, lower: t.lower as ArrayLike<number> }
    : limitedOnly(t, both);
  const travel = travelOf(t.position);
  const sigma = sigmaGradient(t.position, t.error);
  const threshold = t.thresholdOverride ?? sigmaThreshold(spec, travel);
  const sigmaPass = sigma <= threshold;
  const verdict = (search: OffsetSearch): Verdict => {
    const c = optimalOffset(limited, search);
    const fails = failPoints(limited, c);
    return { c, fails, status: fails > 0 ? "FAIL" : sigmaPass ? "PASS" : "WARNING" };
  };
  const chosen = verdict(s.offsetSearch);
  const other = verdict(s.offsetSearch === "exact" ? "legacy" : "exact");
  const { marginPct, violations } = marginsAfter(limited, chosen.c);
  const linearityPass = chosen.fails === 0;
  const marginToSpec = linearityPass && Number.isFinite(marginPct) ? marginPct : null;
  const p = failureProbability(sigma, threshold, linearityPass);
  const untrimmedMax = t.untrimmedError?.length
    ? maxAbs(Array.from(t.untrimmedError).filter(Number.isFinite))
    : null;
  const rawMax = maxAbs(t.error);
  return {
    nPoints: n,
    travelLength: travel,
    linearitySpec: spec,
    sigmaGradient: sigma,
    sigmaThreshold: threshold,
    thresholdSource: t.thresholdOverride !== null ? "model" : "formula",
    sigmaPass,
    optimalOffset: chosen.c,
    linearityError: maxAbs(t.error, chosen.c),
    linearityPass,
    failPoints: chosen.fails,
    rawFailPoints: failPoints(limited, 0),
    rawLinearityError: rawMax,
    marginToSpec,
    maxViolation: violations.length ? Math.max(...violations) : null,
    avgViolation: violations.length ? mean(violations) : null,
    nearMiss: marginToSpec !== null ? marginToSpec < s.nearMissPct : linearityPass ? false : null,
    resistanceChangePct: t.untrimmedResistance && t.trimmedResistance !== null
      ? ((t.trimmedResistance - t.untrimmedResistance) / t.untrimmedResistance) * 100
      : null,
    trimImprovementPct: untrimmedMax ? ((untrimmedMax - rawMax) / untrimmedMax) * 100 : null,
    failureProbability: p,
    riskCategory: p >= 0.7 ? "High" : p >= 0.4 ? "Medium" : "Low",
    status: chosen.status,
    statusReason: statusReason(chosen, sigma, threshold),
    other: { offset: other.c, failPoints: other.fails, status: other.status },
  };
}
