/**
 * Optimal offset searches (docs/domain.md "Optimal offset"): the station may read with a constant bias, so the
 * error curve may be shifted by any c. `exact` finds the c with the fewest points outside their limits;
 * `legacy` reproduces upstream's bounded Brent search step by step (upstream-spec.md §3.3).
 */

export type OffsetSearch = "exact" | "legacy";

/** The points of a track that have both limits, as parallel arrays. */
export interface LimitedPoints {
  error: ArrayLike<number>;
  upper: ArrayLike<number>;
  lower: ArrayLike<number>;
}

/** Points outside [lower, upper] after shifting every error by `c`. */
export function failPoints(p: LimitedPoints, c: number): number {
  let fails = 0;
  for (let i = 0; i < p.error.length; i++) {
    const v = p.error[i] + c;
    if (v > p.upper[i] || v < p.lower[i]) fails++;
  }
  return fails;
}

/** The median of `values`, which it sorts in place. */
function medianInPlace(values: Float64Array): number {
  const s = values.sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function centres(p: LimitedPoints): Float64Array {
  const c = new Float64Array(p.error.length);
  for (let i = 0; i < c.length; i++) c[i] = (p.upper[i] + p.lower[i]) / 2 - p.error[i];
  return c;
}

/** The offset chosen by `search`; 0 when no point has both limits. */
export function optimalOffset(p: LimitedPoints, search: OffsetSearch): number {
  if (p.error.length === 0) return 0;
  return search === "exact" ? exactOffset(p) : legacyOffset(p);
}

/**
 * Sweeps the interval ends [lower − e, upper − e] to find the offsets covered by the most intervals; among
 * them, the one with the smallest max |e + c|, then the one closest to the median centre.
 */
export function exactOffset(p: LimitedPoints): number {
  // Interval starts and ends, each sorted natively: a million-point track sorts two typed arrays instead of
  // two million event tuples.
  const starts = new Float64Array(p.error.length);
  const ends = new Float64Array(p.error.length);
  let count = 0;
  for (let i = 0; i < p.error.length; i++) {
    const lo = p.lower[i] - p.error[i];
    const hi = p.upper[i] - p.error[i];
    if (lo <= hi) {
      starts[count] = lo;
      ends[count++] = hi;
    }
  }
  const mid = medianInPlace(centres(p));
  if (count === 0) return mid;
  const lo = starts.subarray(0, count).sort();
  const hi = ends.subarray(0, count).sort();
  let depth = 0;
  let best = -1;
  let spans: Array<[number, number]> = [];
  // Merge in coordinate order; starts before ends at the same coordinate: touching intervals share it.
  for (let a = 0, b = 0; b < count;) {
    if (a < count && lo[a] <= hi[b]) {
      const x = lo[a++];
      depth++;
      if (depth > best) {
        best = depth;
        spans = [];
      }
      if (depth === best) spans.push([x, x]);
    } else {
      const x = hi[b++];
      if (depth === best) spans[spans.length - 1][1] = x;
      depth--;
    }
  }
  let eMax = -Infinity;
  let eMin = Infinity;
  for (let i = 0; i < p.error.length; i++) {
    const e = p.error[i];
    if (e > eMax) eMax = e;
    if (e < eMin) eMin = e;
  }
  const ideal = -(eMax + eMin) / 2;
  let chosen = spans[0][0];
  let chosenCost = Infinity;
  for (const [lo, hi] of spans) {
    let c = Math.min(hi, Math.max(lo, ideal));
    // At a span's end, e + c can land a rounding error outside the limit that defined the end.
    if (failPoints(p, c) > p.error.length - best) c = (lo + hi) / 2;
    const cost = Math.max(Math.abs(eMax + c), Math.abs(eMin + c));
    const tie = Math.abs(cost - chosenCost) <= 1e-15;
    if (cost < chosenCost && !tie || tie && Math.abs(c - mid) < Math.abs(chosen - mid)) {
      chosen = c;
      chosenCost = cost;
    }
  }
  return chosen;
}

/** scipy `minimize_scalar(method="bounded")` on the fail count over [m − r, m + r], m = median centre. */
export function legacyOffset(p: LimitedPoints): number {
  const m = medianInPlace(centres(p));
  const r = Math.abs(m) + 0.01;
  return boundedBrent((c) => failPoints(p, c), m - r, m + r, 1e-5, 500);
}

const SQRT_EPS = Math.sqrt(2.2e-16);
const GOLDEN = 0.5 * (3 - Math.sqrt(5));
const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);

/** fmin's state: the bracket [a, b], the best three points and their values, and the last two steps. */
interface Bracket {
  a: number;
  b: number;
  xf: number;
  fx: number;
  nfc: number;
  fnfc: number;
  fulc: number;
  ffulc: number;
  e: number;
  rat: number;
}

/**
 * Port of SciPy's `_minimize_scalar_bounded` (Forsythe–Malcolm–Moler fmin), ties accepted as upstream did.
 * The steps are SciPy's, in its order, so the offsets match upstream's to the last bit.
 */
export function boundedBrent(
  f: (x: number) => number,
  lower: number,
  upper: number,
  xatol: number,
  maxfun: number,
) {
  const first = lower + GOLDEN * (upper - lower);
  const f0 = f(first);
  const s: Bracket = {
    a: lower,
    b: upper,
    xf: first,
    fx: f0,
    nfc: first,
    fnfc: f0,
    fulc: first,
    ffulc: f0,
    e: 0,
    rat: 0,
  };
  let num = 1;
  let xm = 0.5 * (s.a + s.b);
  let tol1 = SQRT_EPS * Math.abs(s.xf) + xatol / 3;
  let tol2 = 2 * tol1;
  while (Math.abs(s.xf - xm) > tol2 - 0.5 * (s.b - s.a)) {
    nextStep(s, xm, tol1, tol2);
    const x = s.xf + (sign(s.rat) + (s.rat === 0 ? 1 : 0)) * Math.max(Math.abs(s.rat), tol1);
    const fu = f(x);
    num++;
    narrow(s, x, fu);
    xm = 0.5 * (s.a + s.b);
    tol1 = SQRT_EPS * Math.abs(s.xf) + xatol / 3;
    tol2 = 2 * tol1;
    if (num >= maxfun) break;
  }
  return s.xf;
}

/** The next step `rat`: parabolic through the best three points when it is trusted, else golden section. */
function nextStep(s: Bracket, xm: number, tol1: number, tol2: number): void {
  let useGolden = true;
  if (Math.abs(s.e) > tol1) {
    useGolden = false;
    let r = (s.xf - s.nfc) * (s.fx - s.ffulc);
    let q = (s.xf - s.fulc) * (s.fx - s.fnfc);
    let p = (s.xf - s.fulc) * q - (s.xf - s.nfc) * r;
    q = 2 * (q - r);
    if (q > 0) p = -p;
    q = Math.abs(q);
    r = s.e;
    s.e = s.rat;
    if (Math.abs(p) < Math.abs(0.5 * q * r) && p > q * (s.a - s.xf) && p < q * (s.b - s.xf)) {
      s.rat = p / q;
      const x = s.xf + s.rat;
      if (x - s.a < tol2 || s.b - x < tol2) s.rat = tol1 * (sign(xm - s.xf) + (xm - s.xf === 0 ? 1 : 0));
    } else {
      useGolden = true;
    }
  }
  if (useGolden) {
    s.e = s.xf >= xm ? s.a - s.xf : s.b - s.xf;
    s.rat = GOLDEN * s.e;
  }
}

/** Takes the new point `x` (value `fu`) into the bracket and the best three. */
function narrow(s: Bracket, x: number, fu: number): void {
  if (fu <= s.fx) {
    if (x >= s.xf) s.a = s.xf;
    else s.b = s.xf;
    s.fulc = s.nfc;
    s.ffulc = s.fnfc;
    s.nfc = s.xf;
    s.fnfc = s.fx;
    s.xf = x;
    s.fx = fu;
  } else {
    if (x < s.xf) s.a = x;
    else s.b = x;
    if (fu <= s.fnfc || s.nfc === s.xf) {
      s.fulc = s.nfc;
      s.ffulc = s.fnfc;
      s.nfc = x;
      s.fnfc = fu;
    } else if (fu <= s.ffulc || s.fulc === s.xf || s.fulc === s.nfc) {
      s.fulc = x;
      s.ffulc = fu;
    }
  }
}
