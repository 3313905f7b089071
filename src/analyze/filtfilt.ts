/**
 * Zero-phase low-pass smoothing: exactly what SciPy's `filtfilt(*butter(2, 0.1), x)` computes with its
 * defaults (odd extension of 9 samples, steady-state initial conditions from `lfilter_zi`).
 */

/** `scipy.signal.butter(2, 0.1)`. */
const B = [0.020083365564211232, 0.040166731128422464, 0.020083365564211232] as const;
const A = [1, -1.5610180758007182, 0.6413515380575631] as const;
/** `lfilter_zi(B, A)`: the filter state of a unit step at steady state. */
const ZI = [0.9799166344357887, -0.6212681724933518] as const;
/** SciPy's default pad length: 3 × max(len(a), len(b)). */
export const FILTFILT_PAD = 9;

/** Forward-backward Butterworth filter of `x`; needs more than `FILTFILT_PAD` samples. */
export function filtfilt(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  if (n <= FILTFILT_PAD) throw new RangeError(`filtfilt needs more than ${FILTFILT_PAD} samples, got ${n}`);
  const padded = new Float64Array(n + 2 * FILTFILT_PAD);
  for (let i = 0; i < FILTFILT_PAD; i++) padded[i] = 2 * x[0] - x[FILTFILT_PAD - i];
  for (let i = 0; i < n; i++) padded[FILTFILT_PAD + i] = x[i];
  for (let i = 0; i < FILTFILT_PAD; i++) padded[FILTFILT_PAD + n + i] = 2 * x[n - 1] - x[n - 2 - i];
  lfilterInPlace(padded, false);
  lfilterInPlace(padded, true);
  // A view, not a copy: a million-point track spares 8 MB.
  return padded.subarray(FILTFILT_PAD, FILTFILT_PAD + n);
}

/** Direct form II transposed, started at steady state for the first sample it sees. */
function lfilterInPlace(y: Float64Array, backward: boolean): void {
  const n = y.length;
  const first = backward ? y[n - 1] : y[0];
  let z0 = ZI[0] * first;
  let z1 = ZI[1] * first;
  for (let k = 0; k < n; k++) {
    const i = backward ? n - 1 - k : k;
    const xi = y[i];
    const out = B[0] * xi + z0;
    z0 = B[1] * xi - A[1] * out + z1;
    z1 = B[2] * xi - A[2] * out;
    y[i] = out;
  }
}
