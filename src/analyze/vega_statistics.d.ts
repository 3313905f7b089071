// vega-statistics ships no types; the one function lta uses.
/** The normal distribution's CDF at `value` (West 2009, Hart's double-precision algorithm). */
export function cumulativeNormal(value: number, mean?: number, stdev?: number): number;
