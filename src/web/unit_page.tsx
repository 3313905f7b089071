/**
 * `/units/{model}/{serial}`: a unit's whole story. Every trim file of its serial (re-trims included), oldest
 * first, each track's verdict and numbers with its chart, then the Final Tests of the same unit.
 */
import { Head, num, Page, Status, TrackCells } from "./layout.tsx";

type Row = Record<string, unknown>;

const chartHref = (t: Row) =>
  `/api/files/${t.file_id}/tracks/${encodeURIComponent(String(t.track_id))}/chart.svg`;

export function UnitPage(props: { model: string; serial: string; tracks: Row[]; finals: Row[] }) {
  const { model, serial, tracks, finals } = props;
  const files = new Set(tracks.map((t) => Number(t.file_id))).size;
  return (
    <Page title={`Unit ${model} / ${serial}`}>
      <p>
        {files} trim file(s), {tracks.length} track verdict(s), {finals.length}{" "}
        Final Test result(s). Test dates are the station's clock. ·{" "}
        <a class="pdf" href={`/units/${encodeURIComponent(model)}/${encodeURIComponent(serial)}/report.pdf`}>
          PDF
        </a>
      </p>
      <h2>Verdicts</h2>
      <VerdictTable tracks={tracks} />
      <h2>Final Test</h2>
      {finals.length === 0 ? <p>No Final Test of this unit loaded.</p> : <FinalTestTable finals={finals} />}
      <h2>Charts</h2>
      {tracks.filter((t) => t.overall_status !== "ERROR").map((t) => (
        <figure>
          <figcaption>
            {String(t.test_date)} · {String(t.file_name)} · {String(t.track_id)} ·{" "}
            <Status status={t.overall_status} />
          </figcaption>
          <a href={chartHref(t)} title="open the chart on its own">
            <img
              src={chartHref(t)}
              alt={`error against position, ${t.track_id} of ${t.file_name}`}
              loading="lazy"
            />
          </a>
        </figure>
      ))}
    </Page>
  );
}

function VerdictTable(props: { tracks: Row[] }) {
  return (
    <table>
      <Head
        names={[
          "test date",
          "file",
          "track",
          "verdict",
          "sigma gradient / threshold",
          "linearity error / spec",
          "offset",
          "fail points",
          "reason",
        ]}
      />
      <tbody>
        {props.tracks.map((t) => (
          <tr>
            <td>{String(t.test_date)}</td>
            <td>
              <a href={`/files/${t.file_id}`}>{String(t.file_name)}</a>
              {t.trim_note ? <span class="muted">({String(t.trim_note)})</span> : null}
            </td>
            <TrackCells t={t} />
            <td class="num">{num(t.optimal_offset)}</td>
            <td class="num">{num(t.fail_points)}</td>
            <td>{String(t.status_reason ?? "")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FinalTestTable(props: { finals: Row[] }) {
  return (
    <table>
      <Head names={["test date", "file", "track", "verdict", "against the trim"]} />
      <tbody>
        {props.finals.map((f) => (
          <tr>
            <td>{String(f.test_date)}</td>
            <td>
              <a href={`/files/${f.file_id}`}>{String(f.file_name)}</a>
            </td>
            <td>{String(f.track_id)}</td>
            <td>
              <Status status={f.status} />
            </td>
            <td>{String(f.outcome ?? "no trim before it")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
