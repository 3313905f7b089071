/**
 * `/compare`: Final Test against trim. Escapes (passed trim, failed Final Test) and overkills (failed trim,
 * passed Final Test) per model, the confusion matrix, and each disagreement linked to its unit and files.
 */
import { Head, Page, pct, Status, unitHref } from "./layout.tsx";
import { RangeForm, type RangeView } from "./range_form.tsx";
import { Pager, type PagerView } from "./pager.tsx";

type Row = Record<string, unknown>;

export interface CompareView extends RangeView {
  perModel: Row[];
  matrix: Row[];
  rows: Row[];
  pager: PagerView;
}

const OUTCOME: Record<string, string> = { escape: "escape", trim_fail_final_pass: "overkill" };

export function ComparePage(props: { v: CompareView }) {
  const { v } = props;
  return (
    <Page title="Final Test against trim">
      <RangeForm v={v} action="/compare" />
      <p class="muted">
        Final tests in the range, each beside the unit's closest trim before it. An escape passed trim and
        failed Final Test; an overkill failed trim and passed Final Test.
      </p>
      <h2>Per model</h2>
      {v.perModel.length === 0 ? <p>No Final Test in the range.</p> : (
        <table>
          <Head
            names={["model", "final tests", "judged", "escapes", "escape rate", "overkills", "no trim found"]}
          />
          <tbody>
            {v.perModel.map((m) => (
              <tr>
                <td>{String(m.model)}</td>
                <td class="num">{String(m.finals)}</td>
                <td class="num">{String(m.judged)}</td>
                <td class={Number(m.escapes) ? "num FAIL" : "num"}>{String(m.escapes)}</td>
                <td class="num">{Number(m.judged) ? pct(Number(m.escapes) / Number(m.judged)) : "—"}</td>
                <td class="num">{String(m.overkills)}</td>
                <td class="num">{String(m.unmatched)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Confusion matrix</h2>
      <Matrix cells={v.matrix} />
      <h2>Escapes and overkills</h2>
      <Disagreements rows={v.rows} />
      <Pager {...v.pager} />
    </Page>
  );
}

function Matrix(props: { cells: Row[] }) {
  const count = (t: string, f: string) =>
    Number(props.cells.find((c) => c.trim_status === t && c.final_status === f)?.n ?? 0);
  return (
    <table class="matrix">
      <thead>
        <tr>
          <th>trim verdict ↓ · Final Test →</th>
          <th>PASS</th>
          <th>FAIL</th>
        </tr>
      </thead>
      <tbody>
        {["PASS", "WARNING", "FAIL"].map((t) => (
          <tr>
            <th>{t}</th>
            <td class="num">{count(t, "PASS")}</td>
            <td class={t !== "FAIL" && count(t, "FAIL") ? "num FAIL" : "num"}>{count(t, "FAIL")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Disagreements(props: { rows: Row[] }) {
  if (props.rows.length === 0) return <p>None in the range: trim and Final Test agree.</p>;
  return (
    <table>
      <Head names={["outcome", "unit", "track", "trim", "Final Test", "days between"]} />
      <tbody>
        {props.rows.map((d) => (
          <tr>
            <td class={d.outcome === "escape" ? "FAIL" : "WARNING"}>{OUTCOME[String(d.outcome)]}</td>
            <td>
              <a href={unitHref(d.trim_model, d.trim_serial)}>
                {String(d.trim_model)} / {String(d.trim_serial)}
              </a>
            </td>
            <td>{String(d.track_id)}</td>
            <td>
              <Status status={d.trim_status} /> <a href={`/files/${d.trim_file_id}`}>{String(d.trim_date)}</a>
            </td>
            <td>
              <Status status={d.final_status} />{" "}
              <a href={`/files/${d.final_file_id}`}>{String(d.final_date)}</a>
            </td>
            <td class="num">{String(d.days_since_trim)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
