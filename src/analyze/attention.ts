/**
 * Which models need an engineer's attention first: each sign of trouble adds to a model's score, and the
 * page lists the signs beside it, so the order can be checked by eye. Drift and open alarms weigh most
 * (the process has changed); a falling pass rate and a low Cpk follow.
 */
import { pct } from "../numbers.ts";

export interface ModelSigns {
  model: string;
  tracks: number;
  failing: number;
  passRate: number;
  passRateBefore: number | null;
  openAlarms: number;
  driftAlarms: number;
  /** Cpk of sigma gradient in the range, `null` when not rated. */
  cpk: number | null;
}

export interface Attention extends ModelSigns {
  score: number;
  signs: string[];
}

/** The models with at least one sign, highest score first. */
export function rankAttention(models: ModelSigns[]): Attention[] {
  const ranked = models.map((m) => {
    const signs: string[] = [];
    let score = 0;
    if (m.driftAlarms > 0) {
      score += 4 * m.driftAlarms;
      signs.push(`${m.driftAlarms} open drift alarm(s)`);
    }
    const nelson = m.openAlarms - m.driftAlarms;
    if (nelson > 0) {
      score += 3 * nelson;
      signs.push(`${nelson} open SPC alarm(s)`);
    }
    const fall = m.passRateBefore === null ? 0 : m.passRateBefore - m.passRate;
    if (fall >= 0.02) {
      score += fall * 50;
      signs.push(`pass rate fell ${pct(m.passRateBefore!)} → ${pct(m.passRate)}`);
    }
    if (m.cpk !== null && m.cpk < 1.33) {
      score += m.cpk < 1 ? 2 : 1;
      signs.push(`Cpk ${m.cpk.toFixed(2)} (${m.cpk < 1 ? "incapable" : "marginal"})`);
    }
    if (m.passRate < 0.9) {
      score += (0.9 - m.passRate) * 20;
      signs.push(`pass rate ${pct(m.passRate)}`);
    }
    return { ...m, score, signs };
  });
  return ranked.filter((m) => m.signs.length > 0).sort((a, b) =>
    b.score - a.score || a.model.localeCompare(b.model)
  );
}
