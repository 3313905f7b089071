/**
 * `/quarantine`: the files lta could not take, each with its reason code and message, and one button that
 * reads them all again (after a fix to the file or an lta upgrade), as `lta reprocess` does, or one of them.
 */
import { Head, Page } from "./layout.tsx";
import { zoned } from "./zoned.ts";
import { Pager, type PagerView } from "./pager.tsx";

type Row = Record<string, unknown>;

export function QuarantinePage(
  props: {
    rows: Row[];
    total: number;
    /** Only this station's files (`?station=`). */
    station: string | null;
    job?: { id: number; state: string } | null;
    timeZone: string;
    pager: PagerView;
  },
) {
  const { rows, total, job, timeZone } = props;
  return (
    <Page title="Quarantine">
      {job
        ? <p role="status">Reprocessing started (job {job.id}, {job.state}); reload to see what it loaded.</p>
        : null}
      <p>
        {total} file(s) in quarantine{props.station ? ` from station ${props.station}` : ""}
        {total > rows.length ? `; ${rows.length} on this page, newest first` : ""}.
        {props.station
          ? (
            <>
              {" "}
              <a href="/quarantine">Every station</a>
            </>
          )
          : null}
      </p>
      {total > 0 && (
        <form method="post" action="/quarantine/reprocess">
          <button type="submit">Reprocess all</button>{" "}
          <span class="muted">reads every quarantined file again</span>
        </form>
      )}
      {rows.length > 0 && (
        <table>
          <Head names={["file", "station", "quarantined", "reason", "message", "kept at", ""]} />
          <tbody>
            {rows.map((f) => (
              <tr>
                <td>
                  <a href={`/files/${f.file_id}`}>{String(f.file_name)}</a>
                </td>
                <td>
                  {f.station
                    ? (
                      <a href={`/quarantine?station=${encodeURIComponent(String(f.station))}`}>
                        {String(f.station)}
                      </a>
                    )
                    : ""}
                </td>
                <td>{zoned(f.quarantined_at, timeZone)}</td>
                <td class="quarantined">{String(f.reason_code)}</td>
                <td>{String(f.reason)}</td>
                <td class="muted">{String(f.quarantine_path ?? "")}</td>
                <td>
                  <form method="post" action="/quarantine/reprocess">
                    <input type="hidden" name="file_id" value={String(f.file_id)} />
                    <button type="submit">Reprocess</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager {...props.pager} />
    </Page>
  );
}
