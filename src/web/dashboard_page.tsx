/**
 * `/`: the dashboard. What the history holds and how it is going, in a range of test days: cards, the
 * models that need attention (with the signs why), and why tracks did not pass.
 */
import { StationTable } from "./station_table.tsx";
import type { Child } from "hono/jsx";
import type { Attention } from "../analyze/attention.ts";
import { Head, Page, pct } from "./layout.tsx";
import { RangeForm, type RangeView } from "./range_form.tsx";
import { zoned } from "./zoned.ts";

type Row = Record<string, unknown>;

export interface DashboardView extends RangeView {
  asOf: { loaded: string | null; tested: string | null };
  timeZone: string;
  cards: Row;
  sparkline: string | null;
  attention: Attention[];
  pareto: Row[];
  paretoSvg: string | null;
  stations: Row[];
}

export function DashboardPage(props: { v: DashboardView }) {
  const { v } = props;
  const c = v.cards;
  const judged = Number(c.judged ?? 0);
  return (
    <Page title="Dashboard">
      <p class="muted">
        Data as of: last file loaded {v.asOf.loaded ? zoned(v.asOf.loaded, v.timeZone) : "never"}, newest test
        {" "}
        {v.asOf.tested ?? "—"} (station clock).
      </p>
      <RangeForm v={v} action="/" />
      <div class="cards">
        <Card
          title="Files today"
          value={String(c.files_today ?? 0)}
          note={`${c.files_week ?? 0} this week`}
        />
        <Card
          title="Pass rate, 30 days"
          value={pct(c.pass_30)}
          note={`90 days: ${pct(c.pass_90)} · line: per day, 90 days`}
        >
          {v.sparkline && <span class="spark" dangerouslySetInnerHTML={{ __html: v.sparkline }} />}
        </Card>
        <Card title={`Pass rate, ${v.range.label}`} value={pct(c.pass_rate)} note={`${c.tracks} tracks`} />
        <Card
          title="Open alarms"
          value={String(c.open_alarms ?? 0)}
          note={<a href="/alarms">see the alarms</a>}
        />
        <Card title="Near misses" value={pct(c.near_miss_rate)} note="of tracks in the range" />
        <Card
          title="Final Test escapes"
          value={judged ? pct(Number(c.escapes) / judged) : "—"}
          note={<a href={`/compare?${v.range.query}`}>{c.escapes ?? 0} of {judged} judged units</a>}
        />
      </div>
      <h2>Models needing attention</h2>
      <AttentionTable models={v.attention} query={v.range.query} />
      <h2>Why tracks did not pass</h2>
      <Pareto rows={v.pareto} svg={v.paretoSvg} tracks={Number(c.tracks ?? 0)} />
      <StationTable rows={v.stations} query={v.range.query} timeZone={v.timeZone} />
      <p>
        <a href="/live">Latest files as they load</a> · <a href="/models">every model</a>
      </p>
    </Page>
  );
}

function Pareto(props: { rows: Row[]; svg: string | null; tracks: number }) {
  if (props.tracks === 0) return <p>No track was tested in the range.</p>;
  if (props.rows.length === 0) return <p>Every track in the range passed.</p>;
  return (
    <>
      <figure dangerouslySetInnerHTML={{ __html: props.svg ?? "" }} />
      <table>
        <Head names={["reason", "tracks", "cumulative"]} />
        <tbody>
          {props.rows.map((p) => (
            <tr>
              <td>{String(p.reason)}</td>
              <td class="num">{String(p.tracks)}</td>
              <td class="num">{pct(p.cumulative)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Card(props: { title: string; value: string; note: Child; children?: Child }) {
  return (
    <div class="card">
      <div class="card-title">{props.title}</div>
      <div class="card-value">{props.value}</div>
      {props.children}
      <div class="muted">{props.note}</div>
    </div>
  );
}

function AttentionTable(props: { models: Attention[]; query: string }) {
  if (props.models.length === 0) return <p>No model shows a sign of trouble in the range.</p>;
  return (
    <table>
      <Head names={["model", "tracks", "pass rate", "before", "open alarms", "Cpk (sigma)", "why"]} />
      <tbody>
        {props.models.map((m) => (
          <tr>
            <td>
              <a href={`/models/${encodeURIComponent(m.model)}?${props.query}`}>{m.model}</a>
            </td>
            <td class="num">{String(m.tracks)}</td>
            <td class="num">{pct(m.passRate)}</td>
            <td class="num">{pct(m.passRateBefore)}</td>
            <td class="num">{String(m.openAlarms)}</td>
            <td class="num">{m.cpk === null ? "—" : m.cpk.toFixed(2)}</td>
            <td>{m.signs.join("; ")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
