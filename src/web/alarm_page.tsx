/**
 * `/alarms/{id}`: one alarm's evidence. The I-MR chart with this alarm's points in red, the points
 * themselves with their test dates and units, who acknowledged it with which cause (every time), and
 * the form to acknowledge it or correct its cause.
 */
import { AckForm, ResolveForm } from "./ack_form.tsx";
import { Head, num, Page, unitHref } from "./layout.tsx";
import { zoned } from "./zoned.ts";
import { type Chart, ChartFigure, ChartScripts, LiveHint } from "./live_chart.tsx";

type Row = Record<string, unknown>;

export interface AlarmView {
  alarm: Row;
  acknowledgements: Row[];
  points: Row[];
  chart: Chart | null;
  causes: string[];
  timeZone: string;
}

/** What the alarm is about: a model's metric, a station, or the service. */
function subject(a: Row): string {
  if (a.model) {
    return `${a.model} ${a.track_id ?? ""} ${String(a.metric).replace("_", " ")}`.replace("  ", " ");
  }
  return a.station ? `station ${a.station}` : `${String(a.kind).replace("_", " ")} ${a.subject ?? ""}`.trim();
}

export function AlarmPage(props: { v: AlarmView }) {
  const { alarm: a, acknowledgements, points, chart, causes, timeZone } = props.v;
  const self = `/alarms/${a.alarm_id}`;
  return (
    <Page title={`Alarm ${a.alarm_id}: ${subject(a)}`}>
      <p>
        <strong>{String(a.description)}</strong> ({String(a.rule)}, {String(a.severity)}) · {a.metric
          ? `${a.points} point(s) from ${a.first_at} to ${a.last_at} (station clock)`
          : `from ${zoned(a.first_at, timeZone)} to ${zoned(a.last_at, timeZone)}`} · {a.resolved_at
          ? <span class="PASS">resolved</span>
          : a.acknowledged_at
          ? <span class="PASS">acknowledged</span>
          : a.cleared_at
          ? <span class="PASS">cleared {zoned(a.cleared_at, timeZone)}</span>
          : <span class="FAIL">open</span>}
        {a.model
          ? (
            <>
              {" · "}
              <a href={`/models/${encodeURIComponent(String(a.model))}`}>model {String(a.model)}</a>
            </>
          )
          : null}
      </p>
      {chart
        ? (
          <>
            <LiveHint />
            <ChartFigure chart={chart} />
            <ChartScripts charts={[chart]} />
          </>
        )
        : a.metric
        ? <p>No control limits to draw against yet.</p>
        : null}
      <h2>Acknowledgements and resolution</h2>
      {acknowledgements.length === 0 ? <p>Not acknowledged yet.</p> : (
        <table>
          <Head names={["when", "by", "step", "assignable cause", "note", "corrective action"]} />
          <tbody>
            {acknowledgements.map((k) => (
              <tr>
                <td>{zoned(k.at, timeZone)}</td>
                <td>{String(k.by)}</td>
                <td>{k.action === "resolve" ? "resolved" : "acknowledged"}</td>
                <td>{String(k.cause)}</td>
                <td>{String(k.note ?? "")}</td>
                <td>{String(k.corrective_action ?? "")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AckForm id={a.alarm_id} back={self} causes={causes} again={acknowledgements.length > 0} />
      {a.resolved_at ? null : <ResolveForm id={a.alarm_id} back={self} causes={causes} />}
      {a.metric
        ? (
          <>
            <h2>The points behind it</h2>
            <table>
              <Head
                names={["sample", "tested", "unit", "track", String(a.metric).replace("_", " "), "file"]}
              />
              <tbody>
                {points.map((p) => (
                  <tr>
                    <td class="num">{String(p.i)}</td>
                    <td>{String(p.test_date)}</td>
                    <td>
                      <a href={unitHref(a.model, p.serial)}>{String(p.serial)}</a>
                    </td>
                    <td>{String(p.track_id)}</td>
                    <td class="num">{num(p.value)}</td>
                    <td>
                      <a href={`/files/${p.file_id}`}>file {String(p.file_id)}</a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )
        : null}
    </Page>
  );
}
