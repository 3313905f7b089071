/**
 * `/alarms`: SPC, drift and health alarms (a silent station, a failed nightly job), open ones first-class,
 * filtered by state, model, rule and date. Each
 * links to its evidence; an open one can be acknowledged here with a cause from the pick list.
 */
import { AckForm } from "./ack_form.tsx";
import { Head, Page } from "./layout.tsx";
import { zoned } from "./zoned.ts";
import { Pager, type PagerView } from "./pager.tsx";

type Row = Record<string, unknown>;

export interface AlarmsView {
  show: "open" | "acknowledged" | "resolved" | "all";
  model: string | null;
  rule: string | null;
  kind?: string | null;
  from: string | null;
  models: string[];
  station?: string | null;
  stations: string[];
  rules: string[];
  causes: string[];
  alarms: Row[];
  limit: number;
  pager: PagerView;
  /** This page's own address with its filters, to come back to after acknowledging. */
  self: string;
  timeZone: string;
}

const KINDS = ["spc", "drift", "silence", "quarantine_rate", "nightly_job", "memory"];

const TITLES = {
  open: "Open alarms",
  acknowledged: "Acknowledged alarms",
  resolved: "Resolved alarms",
  all: "All alarms",
};

export function AlarmsPage(props: { v: AlarmsView }) {
  const { v } = props;
  return (
    <Page title={TITLES[v.show]}>
      <AlarmFilter v={v} />
      <p class="muted">
        SPC times are the station's clock; health alarms and acknowledgements are in{" "}
        {v.timeZone}. Open: not acknowledged, resolved or cleared.
      </p>
      {v.alarms.length === 0 ? <p>No {v.show === "all" ? "" : `${v.show} `}alarms match.</p> : (
        <table>
          <Head
            names={[
              "alarm",
              "model or station",
              "metric · rule",
              "what",
              "points",
              "first → last",
              "acknowledgement",
            ]}
          />
          <tbody>
            {v.alarms.map((a) => <AlarmRow a={a} back={v.self} causes={v.causes} timeZone={v.timeZone} />)}
          </tbody>
        </table>
      )}
      <Pager {...v.pager} />
    </Page>
  );
}

function AlarmFilter(props: { v: AlarmsView }) {
  const { v } = props;
  return (
    <form class="range" method="get" action="/alarms">
      <select name="show" aria-label="state">
        {(["open", "acknowledged", "resolved", "all"] as const).map((s) => (
          <option value={s} selected={s === v.show}>{s}</option>
        ))}
      </select>{" "}
      <select name="model" aria-label="model">
        <option value="">every model</option>
        {v.models.map((m) => <option value={m} selected={m === v.model}>{m}</option>)}
      </select>{" "}
      {v.stations.length > 0
        ? (
          <>
            <select name="station" aria-label="station">
              <option value="">every station</option>
              {v.stations.map((s) => <option value={s} selected={s === v.station}>{s}</option>)}
            </select>
            {" "}
          </>
        )
        : null}
      <select name="kind" aria-label="kind">
        <option value="">every kind</option>
        {KINDS.map((k) => <option value={k} selected={k === v.kind}>{k.replace("_", " ")}</option>)}
      </select>{" "}
      <select name="rule" aria-label="rule">
        <option value="">every rule</option>
        {v.rules.map((r) => <option value={r} selected={r === v.rule}>{r}</option>)}
      </select>{" "}
      last point since <input type="date" name="from" value={v.from ?? ""} aria-label="since" />{" "}
      <button type="submit">Show</button>
    </form>
  );
}

function AlarmRow(props: { a: Row; back: string; causes: string[]; timeZone: string }) {
  const { a } = props;
  return (
    <tr>
      <td class="num">
        <a href={`/alarms/${a.alarm_id}`}>{String(a.alarm_id)}</a>
      </td>
      <td>
        {a.model
          ? (
            <>
              <a href={`/models/${encodeURIComponent(String(a.model))}`}>{String(a.model)}</a>
              {a.track_id ? ` ${a.track_id}` : ""}
            </>
          )
          : a.station
          ? `station ${a.station}`
          : "service"}
      </td>
      <td>{a.metric ? `${String(a.metric)} · ${String(a.rule)}` : String(a.rule)}</td>
      <td>
        <span class={a.severity === "high" ? "FAIL" : undefined}>{String(a.severity)}</span>:{" "}
        {String(a.description)} · <a href={`/alarms/${a.alarm_id}`}>evidence</a>
      </td>
      <td class="num">{a.points === null ? "" : String(a.points)}</td>
      <td>
        {a.metric
          ? `${a.first_at} → ${a.last_at}`
          : `${zoned(a.first_at, props.timeZone)} → ${zoned(a.last_at, props.timeZone)}`}
        {a.cleared_at ? <div class="muted">cleared {zoned(a.cleared_at, props.timeZone)}</div> : null}
      </td>
      <td>
        {a.acknowledged_at
          ? (
            <span class="acknowledged">
              {a.resolved_at ? "resolved " : ""}
              {zoned(a.resolved_at ?? a.acknowledged_at, props.timeZone)} by {String(a.acknowledged_by)}:{" "}
              {String(a.assignable_cause)}
              {a.corrective_action ? ` · action: ${a.corrective_action}` : ""}
            </span>
          )
          : <AckForm id={a.alarm_id} back={props.back} causes={props.causes} />}
      </td>
    </tr>
  );
}
