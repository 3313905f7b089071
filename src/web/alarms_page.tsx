/**
 * `/alarms`: SPC and drift alarms, open ones first-class, filtered by state, model, rule and date. Each
 * links to its evidence; an open one can be acknowledged here with a cause from the pick list.
 */
import { AckForm } from "./ack_form.tsx";
import { Head, Page } from "./layout.tsx";
import { zoned } from "./zoned.ts";
import { Pager, type PagerView } from "./pager.tsx";

type Row = Record<string, unknown>;

export interface AlarmsView {
  show: "open" | "acknowledged" | "all";
  model: string | null;
  rule: string | null;
  from: string | null;
  models: string[];
  rules: string[];
  causes: string[];
  alarms: Row[];
  limit: number;
  pager: PagerView;
  /** This page's own address with its filters, to come back to after acknowledging. */
  self: string;
  timeZone: string;
}

const TITLES = { open: "Open alarms", acknowledged: "Acknowledged alarms", all: "All alarms" };

export function AlarmsPage(props: { v: AlarmsView }) {
  const { v } = props;
  return (
    <Page title={TITLES[v.show]}>
      <AlarmFilter v={v} />
      <p class="muted">Test times are the station's clock; acknowledgements are in {v.timeZone}.</p>
      {v.alarms.length === 0 ? <p>No {v.show === "all" ? "" : `${v.show} `}alarms match.</p> : (
        <table>
          <Head
            names={["alarm", "model", "metric · rule", "what", "points", "first → last", "acknowledgement"]}
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
        {(["open", "acknowledged", "all"] as const).map((s) => (
          <option value={s} selected={s === v.show}>{s}</option>
        ))}
      </select>{" "}
      <select name="model" aria-label="model">
        <option value="">every model</option>
        {v.models.map((m) => <option value={m} selected={m === v.model}>{m}</option>)}
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
        <a href={`/models/${encodeURIComponent(String(a.model))}`}>{String(a.model)}</a>
      </td>
      <td>{String(a.metric)} · {String(a.rule)}</td>
      <td>
        {String(a.description)} · <a href={`/alarms/${a.alarm_id}`}>evidence</a>
      </td>
      <td class="num">{String(a.points)}</td>
      <td>{String(a.first_at)} → {String(a.last_at)}</td>
      <td>
        {a.acknowledged_at
          ? (
            <span class="acknowledged">
              {zoned(a.acknowledged_at, props.timeZone)} by {String(a.acknowledged_by)}:{" "}
              {String(a.assignable_cause)}
            </span>
          )
          : <AckForm id={a.alarm_id} back={props.back} causes={props.causes} />}
      </td>
    </tr>
  );
}
