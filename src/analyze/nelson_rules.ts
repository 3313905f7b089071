/**
 * The eight Nelson rules as SQL conditions over a series scored as z = (x − centre) / σ and d = the sign of
 * the step from the point before, each with its K as Minitab names it (test 1: K σ; 2: K points on one side;
 * 3: K points steadily rising or falling; 4: K points alternating; 5: K of K+1 beyond 2σ; 6: K of K+1
 * beyond 1σ; 7: K points within 1σ; 8: K points beyond 1σ on both sides).
 */

/** Minitab's default K of each rule. */
export const DEFAULT_K: Readonly<Record<number, number>> = {
  1: 3,
  2: 9,
  3: 6,
  4: 14,
  5: 2,
  6: 4,
  7: 15,
  8: 8,
};

/**
 * The rules on by default: 1 (a point beyond 3σ: a special cause), 2 (a run on one side: a shift), 3 (a
 * steady trend: drift, wear) and 5 (two of three beyond 2σ: a moderate shift, early). Rules 4, 6, 7 and 8
 * mostly flag stratified or over-controlled data: with all eight on both metrics a generated month of
 * four models raised 109 alarms.
 */
export const DEFAULT_RULES: readonly number[] = [1, 2, 3, 5];

export interface RuleCondition {
  /** Points the rule looks at: a flag needs this many points before it. */
  window: number;
  description: string;
  /** A boolean SQL expression over `z`, `d`, `d_prev`, ordered by `i`. */
  condition: string;
}

const over = (rows: number) => `OVER (ORDER BY i ROWS ${Math.max(0, rows - 1)} PRECEDING)`;
const count = (flag: string, rows: number) => `sum((${flag})::INT) ${over(rows)}`;

/** Rule `rule` with its K as SQL; `null` for a number that is no Nelson rule. */
export function ruleCondition(rule: number, k = DEFAULT_K[rule]): RuleCondition | null {
  switch (rule) {
    case 1:
      return { window: 1, description: `one point beyond ${k}σ`, condition: `abs(z) > ${k}` };
    case 2:
      return {
        window: k,
        description: `${k} points in a row on one side of the centre line`,
        condition: `${count("z > 0", k)} = ${k} OR ${count("z < 0", k)} = ${k}`,
      };
    case 3:
      return {
        window: k,
        description: `${k} points in a row steadily increasing or decreasing`,
        condition: `${count("d > 0", k - 1)} = ${k - 1} OR ${count("d < 0", k - 1)} = ${k - 1}`,
      };
    case 4:
      return {
        window: k,
        description: `${k} points in a row alternating up and down`,
        condition: `${count("d * d_prev < 0", k - 2)} = ${k - 2}`,
      };
    case 5:
    case 6: {
      const sigmas = rule === 5 ? 2 : 1;
      return {
        window: k + 1,
        description: `${k} of ${k + 1} points beyond ${sigmas}σ on the same side`,
        condition: `${count(`z > ${sigmas}`, k + 1)} >= ${k} OR ${count(`z < -${sigmas}`, k + 1)} >= ${k}`,
      };
    }
    case 7:
      return {
        window: k,
        description: `${k} points in a row within 1σ of the centre line`,
        condition: `${count("abs(z) < 1", k)} = ${k}`,
      };
    case 8:
      return {
        window: k,
        description: `${k} points in a row beyond 1σ, on both sides, none within`,
        condition: `${count("abs(z) > 1", k)} = ${k} AND ${count("z > 1", k)} > 0 AND ${
          count("z < -1", k)
        } > 0`,
      };
    default:
      return null;
  }
}
