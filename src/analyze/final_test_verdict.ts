/**
 * Final Test verdicts: the same linearity analysis as a trim track (optimal offset, zero tolerance), on
 * the points the test bench measured after assembly. Sigma is kept for reference; a final test passes or
 * fails on linearity alone.
 */
import type { Database } from "../db/database.ts";
import { ANALYSIS_VERSION, analyzeTrack, type TrackResult, type TrackSettings } from "./track.ts";

export interface FinalTestInput {
  trackId: string;
  position: ArrayLike<number>;
  error: ArrayLike<number>;
  /** NaN (or null) where there is no limit. */
  upper: ArrayLike<number | null>;
  lower: ArrayLike<number | null>;
}

/** The final verdict a track result gives: sigma does not fail a finished part. */
export function finalStatus(r: TrackResult): "PASS" | "FAIL" | "ERROR" {
  return r.status === "ERROR" ? "ERROR" : r.linearityPass ? "PASS" : "FAIL";
}

/** Analyses the tracks of a just-loaded Final Test file and fills in their verdicts (caller's transaction). */
export async function analyzeFinalTests(
  db: Database,
  fileId: number,
  tracks: FinalTestInput[],
  settings: TrackSettings,
): Promise<TrackResult[]> {
  const results: TrackResult[] = [];
  for (const t of tracks) {
    const r = analyzeTrack({
      ...t,
      untrimmedError: null,
      untrimmedResistance: null,
      trimmedResistance: null,
      thresholdOverride: null,
    }, settings);
    results.push(r);
    const status = finalStatus(r);
    await db.exec(
      `UPDATE final_tests SET linearity_spec = $3, optimal_offset = $4, linearity_error = $5, linearity_pass = $6,
         fail_points = $7, raw_fail_points = $8, sigma_gradient = $9, overall_status = $10, status_reason = $11,
         offset_search = $12, analysis_version = $13, analyzed_at = now()::TIMESTAMP
       WHERE file_id = $1 AND track_id = $2`,
      [
        fileId,
        t.trackId,
        r.linearitySpec,
        r.optimalOffset,
        r.linearityError,
        r.linearityPass,
        r.failPoints,
        r.rawFailPoints,
        r.sigmaGradient,
        status,
        status === "PASS" ? null : r.statusReason,
        settings.offsetSearch,
        ANALYSIS_VERSION,
      ],
    );
  }
  return results;
}
