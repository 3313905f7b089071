/**
 * What keeps a capability index honest: parts per million beyond each limit (observed, and expected under a
 * normal distribution with the overall σ), the Anderson–Darling normality test, whether the sample was in
 * statistical control, and whether a few outliers dominate σ overall.
 */
// @ts-types="./vega_statistics.d.ts"
import { cumulativeNormal } from "vega-statistics";

/** Out-of-control points are judged against chance: a point of a stable process is beyond ±3σ 0.27% of the time. */
const BEYOND_3_SIGMA = 0.0027;

/** Parts per million: observed beyond the limit, and expected beyond it for a normal(mean, σ). */
export function ppm(
  observed: number,
  n: number,
  mean: number,
  sigma: number,
  limit: number,
  side: "above" | "below",
) {
  const z = side === "above" ? (mean - limit) / sigma : (limit - mean) / sigma;
  // Φ of the negative distance, not 1 − Φ: far tails would round to 0 the other way.
  return { observed: (observed / n) * 1e6, expected: sigma > 0 ? cumulativeNormal(z) * 1e6 : null };
}

/**
 * The Anderson–Darling statistic against a normal with the sample's mean and σ (A², as SciPy's
 * `anderson` gives it), its small-sample adjustment A*² = A²(1 + 0.75/n + 2.25/n²), and the p-value of
 * D'Agostino and Stephens (1986) that Minitab reports (`adPValue`). `null` below 8 values or without spread.
 */
export function andersonDarling(values: number[]): { a2: number; p: number } | null {
  const n = values.length;
  if (n < 8) return null;
  const xs = [...values].sort((a, b) => a - b);
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  if (!(sd > 1e-12 * Math.abs(mean))) return null;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const low = cumulativeNormal((xs[i] - mean) / sd);
    const high = cumulativeNormal(-(xs[n - 1 - i] - mean) / sd);
    sum += (2 * i + 1) * (Math.log(low) + Math.log(high));
  }
  const a2 = -n - sum / n;
  return { a2, p: adPValue(a2 * (1 + 0.75 / n + 2.25 / n ** 2)) };
}

/** The p-value of the adjusted statistic A*², in D'Agostino and Stephens' four ranges. */
export function adPValue(a: number): number {
  const p = a >= 0.6
    ? Math.exp(1.2937 - 5.709 * a + 0.0186 * a * a)
    : a >= 0.34
    ? Math.exp(0.9177 - 4.279 * a - 1.38 * a * a)
    : a >= 0.2
    ? 1 - Math.exp(-8.318 + 42.796 * a - 59.938 * a * a)
    : 1 - Math.exp(-13.436 + 101.14 * a - 223.73 * a * a);
  return Math.min(1, Math.max(0, p));
}

/**
 * Whether `beyond` of `n` points outside the I-chart's ±3σ limits is more than chance puts there: the
 * binomial probability of at least that many at 0.27% each below 5%. One point in forty is chance
 * (p 0.10); two is not (p 0.005).
 */
export function outOfControl(beyond: number, n: number): boolean {
  if (beyond === 0) return false;
  // P(X ≥ k) = 1 − P(X ≤ k − 1), summed in logs: n runs to millions.
  let cdf = 0;
  let logTerm = n * Math.log1p(-BEYOND_3_SIGMA);
  for (let k = 0; k < beyond; k++) {
    cdf += Math.exp(logTerm);
    logTerm += Math.log((n - k) / (k + 1)) + Math.log(BEYOND_3_SIGMA / (1 - BEYOND_3_SIGMA));
  }
  return 1 - cdf < 0.05;
}

/** σ overall more than 1.5× the spread of the middle half (IQR / 1.349, σ for a normal): outliers dominate it. */
export function outliersDominate(sigmaOverall: number | null, robustSigma: number | null): boolean {
  return sigmaOverall !== null && robustSigma !== null && robustSigma > 0 && sigmaOverall > 1.5 * robustSigma;
}
