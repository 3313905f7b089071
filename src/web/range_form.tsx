/** The range and station filter every history page carries: quick ranges as links, from–to as a form. */
import { type DateRange, RANGE_CHOICES } from "./range.ts";

export interface RangeView {
  range: DateRange;
  systems: Array<{ system: string; station: string }>;
  system: string | null;
}

/** "station LT-3" or "system A": what a filter value names, for subtitles. */
export const sourceLabel = (system: string) =>
  system.startsWith("station:") ? `station ${system.slice(8)}` : `system ${system}`;

/** The filter bar; `action` is the page's own path, so the choice stays in its URL. */
export function RangeForm(props: { v: RangeView; action: string; extra?: Record<string, string> }) {
  const { range, systems, system } = props.v;
  const keep = { ...(props.extra ?? {}), ...(system ? { system } : {}) };
  const link = (days: string) => `${props.action}?${new URLSearchParams({ ...keep, days })}`;
  return (
    <form class="range" method="get" action={props.action}>
      <strong>{range.label}</strong> · show{" "}
      {RANGE_CHOICES.map((d) => <a href={link(d)}>{d === "all" ? "all" : `${d} days`}</a>)} · or from{" "}
      <input type="date" name="from" value={range.from ?? ""} aria-label="from" /> to{" "}
      <input type="date" name="to" value={range.to} aria-label="to" />{" "}
      {Object.entries(props.extra ?? {}).map(([k, val]) => <input type="hidden" name={k} value={val} />)}
      <select name="system" aria-label="station or layout">
        <option value="">every station</option>
        {systems.map((s) => (
          <option value={s.system} selected={s.system === system}>
            {s.system.startsWith("station:") ? `station ${s.station}` : `${s.station} (system ${s.system})`}
          </option>
        ))}
      </select>{" "}
      <button type="submit">Show</button>
    </form>
  );
}
