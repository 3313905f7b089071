/** Sigma gradient and its threshold (docs/domain.md "Sigma gradient"). */
import { filtfilt, FILTFILT_PAD } from "./filtfilt.ts";

const ENDPOINT_TRIM = 5;
/** Upstream's DEFAULT_SIGMA_SCALING_FACTOR. */
const SIGMA_SCALING = 24;

/** Sample standard deviation of the gradients of the smoothed error over position. */
export function sigmaGradient(position: ArrayLike<number>, error: ArrayLike<number>): number {
  const n = position.length;
  const smooth = n > FILTFILT_PAD ? filtfilt(error) : Float64Array.from(error);
  let from = 0;
  let to = n;
  if (n >= 2 * ENDPOINT_TRIM + 3) {
    from = ENDPOINT_TRIM;
    to = n - ENDPOINT_TRIM;
  }
  // Welford's running variance: one pass, no gradient array.
  let count = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = from; i + 1 < to; i++) {
    const dx = position[i + 1] - position[i];
    if (Math.abs(dx) <= 1e-6) continue;
    const g = (smooth[i + 1] - smooth[i]) / dx;
    if (!Number.isFinite(g)) continue;
    count++;
    const d = g - mean;
    mean += d / count;
    m2 += d * (g - mean);
  }
  return count < 2 ? 0 : Math.sqrt(m2 / (count - 1));
}

/** spec / (24 × max(1, travel/100)), at least 0.0001; 0.001 when travel or spec is not positive. */
export function sigmaThreshold(linearitySpec: number, travelLength: number): number {
  if (!(travelLength > 0) || !(linearitySpec > 0)) return 0.001;
  return Math.max(linearitySpec / (SIGMA_SCALING * Math.max(1, travelLength / 100)), 0.0001);
}
