/** `/search?q=`: units whose serial, model or file name holds the text, newest first, and quarantined files. */
import { Head, Page, Status, unitHref } from "./layout.tsx";
import { Pager, type PagerView } from "./pager.tsx";

type Row = Record<string, unknown>;

export function SearchPage(props: { q: string; units: Row[]; quarantined: Row[]; pager: PagerView }) {
  const { q, units, quarantined } = props;
  if (!q) {
    return (
      <Page title="Search">
        <p>Type a serial, a model or part of a file name in the box above.</p>
      </Page>
    );
  }
  return (
    <Page title={`Search: ${q}`} q={q}>
      {units.length === 0 && quarantined.length === 0 && <p>Nothing found for “{q}”.</p>}
      {units.length > 0 && <UnitTable units={units} />}

      {quarantined.length > 0 && (
        <>
          <h2>Quarantined files</h2>
          <table>
            <Head names={["file", "reason"]} />
            <tbody>
              {quarantined.map((f) => (
                <tr>
                  <td>
                    <a href={`/files/${f.file_id}`}>{String(f.file_name)}</a>
                  </td>
                  <td class="quarantined">{String(f.reason_code)}: {String(f.reason)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <Pager {...props.pager} />
    </Page>
  );
}

function UnitTable(props: { units: Row[] }) {
  return (
    <table>
      <Head names={["model", "serial", "files", "last test (station clock)", "last verdict"]} />
      <tbody>
        {props.units.map((u) => (
          <tr>
            <td>{String(u.model ?? "—")}</td>
            <td>
              <a class="unit" href={unitHref(u.model, u.serial)}>{String(u.serial ?? "—")}</a>
            </td>
            <td class="num">{String(u.files)}</td>
            <td>{String(u.last_test ?? "—")}</td>
            <td>
              <Status status={u.last_status} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
