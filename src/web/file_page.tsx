/** `/files/{id}`: one file's ledger row (hash, version, quarantine reason) and its tracks' verdicts. */
import { Head, num, Page, TrackCells, unitHref } from "./layout.tsx";
import { zoned } from "./zoned.ts";

type Row = Record<string, unknown>;

const FIELDS: Array<[string, string]> = [
  ["file_name", "file"],
  ["status", "status"],
  ["kind", "kind"],
  ["system", "station layout"],
  ["model", "model"],
  ["serial", "serial"],
  ["test_date", "test date (station clock)"],
  ["version", "version of this file name"],
  ["sha256", "content hash (SHA-256)"],
  ["size_bytes", "size (bytes)"],
  ["n_points", "points"],
  ["ingested_at", "loaded"],
  ["path", "loaded from"],
  ["reason_code", "quarantine reason"],
  ["reason", "quarantine message"],
  ["quarantine_path", "kept at"],
];

export function FilePage(props: { file: Row; tracks: Row[]; timeZone: string; source: boolean }) {
  const { file, tracks, timeZone } = props;
  return (
    <Page title={`File ${file.file_id}: ${file.file_name}`}>
      {file.model && file.serial
        ? (
          <p>
            Unit: <a href={unitHref(file.model, file.serial)}>{String(file.model)} / {String(file.serial)}</a>
          </p>
        )
        : null}
      <table>
        <tbody>
          {FIELDS.filter(([k]) => file[k] !== null && file[k] !== undefined).map(([k, label]) => (
            <tr>
              <th>{label}</th>
              <td class={k === "status" ? String(file.status) : undefined}>
                {k === "ingested_at" ? zoned(file[k], timeZone) : String(file[k])}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        {props.source
          ? <a href={`/files/${file.file_id}/source`}>Download the source file</a>
          : <span class="muted">The source file is no longer in the inbox, the archive or quarantine.</span>}
      </p>
      {tracks.length > 0 && <TrackTable fileId={file.file_id} tracks={tracks} />}
    </Page>
  );
}

function TrackTable(props: { fileId: unknown; tracks: Row[] }) {
  const headers = [
    "track",
    "verdict",
    "sigma gradient / threshold",
    "linearity error / spec",
    "fail points",
    "chart",
  ];
  return (
    <>
      <h2>Tracks</h2>
      <table>
        <Head names={headers} />
        <tbody>
          {props.tracks.map((t) => (
            <tr>
              <TrackCells t={t} />
              <td class="num">{num(t.fail_points)}</td>
              <td>
                <a
                  href={`/api/files/${props.fileId}/tracks/${
                    encodeURIComponent(String(t.track_id))
                  }/chart.svg`}
                >
                  chart
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function NotFoundPage(props: { what: string }) {
  return (
    <Page title="Not found">
      <p>{props.what}</p>
      <p>
        <a href="/">Back to the dashboard</a>
      </p>
    </Page>
  );
}
