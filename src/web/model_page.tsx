/**
 * `/models/{model}`: a model's scorecard and trends in a range: volume and pass rates, capability with
 * its confidence interval and rating, the trend and SPC charts, its alarms and its latest failures.
 */
import type { CapabilityRow } from "../analyze/capability.ts";
import {
  CAPABILITY_FOOTNOTE,
  CAPABILITY_HEADER,
  capabilityCells,
  capabilityNotes,
} from "../render/capability_cells.ts";
import { Head, Page, pct, Status, unitHref } from "./layout.tsx";
import { RangeForm, type RangeView } from "./range_form.tsx";
import { type Chart, ChartFigure, ChartScripts, LiveHint } from "./live_chart.tsx";

type Row = Record<string, unknown>;

export interface ModelView extends RangeView {
  model: string;
  track: string | null;
  trackIds: string[];
  score: Row;
  capability: CapabilityRow[];
  /** Cpk per month (or week) as SVG; `null` when no period has enough samples. */
  cpkTrend: string | null;
  charts: Chart[];
  alarms: Row[];
  failures: Row[];
}

export function ModelPage(props: { v: ModelView }) {
  const { v } = props;
  const s = v.score;
  const base = `/models/${encodeURIComponent(v.model)}`;
  const trackLink = (t: string | null) =>
    `${base}?${new URLSearchParams({
      ...(t ? { track: t } : {}),
      ...(v.system ? { system: v.system } : {}),
    })}&${v.range.query}`;
  return (
    <Page title={`Model ${v.model}`}>
      <RangeForm v={v} action={base} extra={v.track ? { track: v.track } : {}} />
      <p>
        <a class="pdf" href={`${base}/report.pdf?${trackLink(v.track).split("?")[1]}`}>PDF of this page</a>
        {" "}
        · Tracks: <a href={trackLink(null)} class={v.track ? "" : "chosen"}>all</a>
        {v.trackIds.map((t) => (
          <>
            {" "}· <a href={trackLink(t)} class={v.track === t ? "chosen" : ""}>{t}</a>
          </>
        ))}
      </p>
      <div class="cards">
        <Stat title="Pass rate" value={pct(s.pass_rate)} note={`${s.fails} fail, ${s.warnings} warning`} />
        <Stat title="Tracks" value={String(s.tracks)} note={`${s.files} files, ${s.units} units`} />
        <Stat
          title="Sigma pass rate"
          value={pct(s.sigma_pass_rate)}
          note={`linearity ${pct(s.linearity_pass_rate)}`}
        />
        <Stat
          title="Near misses"
          value={String(s.near_misses)}
          note={`tested ${s.first_test} to ${s.last_test}`}
        />
      </div>
      <h2>Capability</h2>
      <CapabilityTable rows={v.capability} />
      {v.cpkTrend ? <ChartFigure chart={{ svg: v.cpkTrend }} /> : null}
      <h2>Trends and control charts</h2>
      <LiveHint />
      {v.charts.map((chart) => <ChartFigure chart={chart} />)}
      <ChartScripts charts={v.charts} />
      <h2>Alarms</h2>
      <ModelAlarms alarms={v.alarms} model={v.model} />
      <h2>Latest tracks that did not pass</h2>
      <Failures rows={v.failures} model={v.model} />
    </Page>
  );
}

function Stat(props: { title: string; value: string; note: string }) {
  return (
    <div class="card">
      <div class="card-title">{props.title}</div>
      <div class="card-value">{props.value}</div>
      <div class="muted">{props.note}</div>
    </div>
  );
}

function CapabilityTable(props: { rows: CapabilityRow[] }) {
  if (props.rows.length === 0) return <p>No analysable tracks in the range.</p>;
  const notes = capabilityNotes(props.rows);
  return (
    <>
      <table>
        <Head names={CAPABILITY_HEADER} />
        <tbody>
          {props.rows.map((c) => (
            <tr>
              {capabilityCells(c).map((cell, i) => (
                <td class={i > 0 && i < 9 ? "num" : undefined}>{i === 4 ? <strong>{cell}</strong> : cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {notes.length > 0 && <ul class="warnings">{notes.map((n) => <li>{n}</li>)}</ul>}
      <p class="hint">{CAPABILITY_FOOTNOTE}</p>
    </>
  );
}

function ModelAlarms(props: { alarms: Row[]; model: string }) {
  if (props.alarms.length === 0) return <p>No alarms for this model.</p>;
  return (
    <table>
      <Head names={["alarm", "metric · rule", "what", "last point", "state"]} />
      <tbody>
        {props.alarms.map((a) => (
          <tr>
            <td class="num">
              <a href={`/alarms/${a.alarm_id}`}>{String(a.alarm_id)}</a>
            </td>
            <td>{String(a.metric)} · {String(a.rule)}</td>
            <td>{String(a.description)}</td>
            <td>{String(a.last_at)}</td>
            <td>
              {a.acknowledged_at ? `acknowledged: ${a.assignable_cause}` : <span class="FAIL">open</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Failures(props: { rows: Row[]; model: string }) {
  if (props.rows.length === 0) return <p>Every track in the range passed.</p>;
  return (
    <table>
      <Head names={["tested", "serial", "track", "verdict", "reason"]} />
      <tbody>
        {props.rows.map((f) => (
          <tr>
            <td>{String(f.test_date)}</td>
            <td>
              <a href={unitHref(props.model, f.serial)}>{String(f.serial)}</a>
            </td>
            <td>{String(f.track_id)}</td>
            <td>
              <Status status={f.overall_status} />
            </td>
            <td>{String(f.status_reason ?? "")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
