/** Calendar days as `YYYY-MM-DD` strings: the unit test dates, ranges and reports are kept in. */

/** `day` moved by `n` days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
