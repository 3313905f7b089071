/** `/models`: every model with its volume, pass rate and last test, each linked to its page. */
import { Head, Page, pct } from "./layout.tsx";

export function ModelsPage(props: { models: Record<string, unknown>[] }) {
  return (
    <Page title="Models">
      {props.models.length === 0 ? <p>No analysed tracks yet.</p> : (
        <table>
          <Head
            names={["model", "files", "tracks", "pass rate", "sigma pass rate", "near misses", "last test"]}
          />
          <tbody>
            {props.models.map((m) => (
              <tr>
                <td>
                  {m.model === null
                    ? "(unknown)"
                    : <a href={`/models/${encodeURIComponent(String(m.model))}`}>{String(m.model)}</a>}
                </td>
                <td class="num">{String(m.files)}</td>
                <td class="num">{String(m.tracks)}</td>
                <td class="num">{pct(m.pass_rate)}</td>
                <td class="num">{pct(m.sigma_pass_rate)}</td>
                <td class="num">{String(m.near_misses)}</td>
                <td>{String(m.last_test ?? "—")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Page>
  );
}
