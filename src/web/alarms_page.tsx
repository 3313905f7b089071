/**
 * `/alarms`: SPC and drift alarms, open ones first-class. Each open alarm can be acknowledged here with
 * its assignable cause and who found it; the evidence is the files its first and last points came from.
 */
import { Head, Page } from "./layout.tsx";

type Row = Record<string, unknown>;

export function AlarmsPage(props: { all: boolean; model: string | null; alarms: Row[]; limit: number }) {
  const { all, model, alarms } = props;
  const query = (show: string) => `/alarms?show=${show}${model ? `&model=${encodeURIComponent(model)}` : ""}`;
  return (
    <Page title={all ? "All alarms" : "Open alarms"}>
      <p>
        Show: <a href={query("open")}>open</a> · <a href={query("all")}>all</a>
        {model
          ? (
            <>
              · model {model} (<a href={all ? "/alarms?show=all" : "/alarms"}>every model</a>)
            </>
          )
          : null}
        . Times are the station's clock.
      </p>
      {alarms.length === 0 ? <p>{all ? "No alarms." : "No open alarms."}</p> : (
        <table>
          <Head
            names={[
              "alarm",
              "model",
              "metric · rule",
              "what",
              "points",
              "first → last",
              "evidence",
              "acknowledgement",
            ]}
          />
          <tbody>
            {alarms.map((a) => (
              <AlarmRow
                a={a}
                back={query(all ? "all" : "open")}
              />
            ))}
          </tbody>
        </table>
      )}
      {alarms.length >= props.limit && <p class="muted">Only the newest {props.limit} are shown.</p>}
    </Page>
  );
}

function AlarmRow(props: { a: Row; back: string }) {
  const { a } = props;
  return (
    <tr>
      <td class="num">{String(a.alarm_id)}</td>
      <td>
        <a href={`/alarms?show=all&model=${encodeURIComponent(String(a.model))}`}>{String(a.model)}</a>
      </td>
      <td>{String(a.metric)} · {String(a.rule)}</td>
      <td>{String(a.description)}</td>
      <td class="num">{String(a.points)}</td>
      <td>{String(a.first_at)} → {String(a.last_at)}</td>
      <td>
        <a href={`/files/${a.first_file_id}`}>first</a> · <a href={`/files/${a.last_file_id}`}>last</a>
      </td>
      <td>{a.acknowledged_at ? <Acknowledged a={a} /> : <AckForm id={a.alarm_id} back={props.back} />}</td>
    </tr>
  );
}

function Acknowledged(props: { a: Row }) {
  const { a } = props;
  return (
    <span class="acknowledged">
      {String(a.acknowledged_at)} UTC by {String(a.acknowledged_by)}: {String(a.assignable_cause)}
    </span>
  );
}

function AckForm(props: { id: unknown; back: string }) {
  return (
    <form method="post" action={`/alarms/${props.id}/ack`} class="ack">
      <input type="hidden" name="back" value={props.back} />
      <input name="cause" placeholder="assignable cause" required aria-label="assignable cause" size={28} />
      {" "}
      <input name="by" placeholder="your name" required aria-label="acknowledged by" size={12} />{" "}
      <button type="submit">Acknowledge</button>
    </form>
  );
}
