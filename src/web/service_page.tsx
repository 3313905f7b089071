/**
 * `/service`: what the IT person checks first. The service's state, its queue and memory, ingest pauses
 * and files waiting out a backoff, the nightly jobs' recent runs, and the versions that shape the data.
 */
import { Head, Page } from "./layout.tsx";
import { zoned } from "./zoned.ts";
import type { ServiceView } from "../server/context.ts";

type Row = Record<string, unknown>;

export interface ServiceFacts {
  view: ServiceView;
  timeZone: string;
  versions: Record<string, string>;
  runs: Row[];
}

/** Bytes in MiB, the unit `memoryBudgetMb` is set in. */
const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`;

export function ServicePage(props: ServiceFacts) {
  const { view, timeZone, versions, runs } = props;
  const paused = view.pause.current;
  const waiting = Object.entries(view.retries.counts());
  const facts: Array<[string, string]> = [
    ["state", view.stopping ? "stopping" : "running"],
    ["since", `${new Date(view.startedAt).toLocaleString("sv-SE", { timeZone })} ${timeZone}`],
    ["inbox watcher", view.watching ? "on" : "off"],
    ["files seen, not yet finished", String(view.pending())],
    ["loading now", view.loading() ? "yes" : "no"],
    ["ingest paused", paused ? `${paused.code}: ${paused.message}` : "no"],
    [
      "files waiting out a backoff",
      waiting.length ? waiting.map(([c, n]) => `${n} (${c})`).join(", ") : "none",
    ],
    [
      "memory (RSS / budget)",
      `${mb(Deno.memoryUsage().rss)} / ${mb(view.gate.budgetBytes)}, ${view.gate.state}`,
    ],
    ...Object.entries(versions),
  ];
  return (
    <Page title="Service">
      <table>
        <tbody>
          {facts.map(([k, v]) => (
            <tr>
              <th>{k}</th>
              <td class={k === "ingest paused" && paused ? "FAIL" : undefined}>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Nightly jobs</h2>
      {runs.length === 0 ? <p>No nightly run yet.</p> : <RunTable runs={runs} timeZone={timeZone} />}
    </Page>
  );
}

function RunTable(props: { runs: Row[]; timeZone: string }) {
  return (
    <table>
      <Head names={["job", "scheduled for", "status", "finished", "attempts", "error"]} />
      <tbody>
        {props.runs.map((r) => (
          <tr>
            <td>{String(r.job)}</td>
            <td>{zoned(r.scheduled_for, props.timeZone)}</td>
            <td class={r.status === "ok" ? "PASS" : r.status === "running" ? undefined : "FAIL"}>
              {String(r.status)}
            </td>
            <td>{zoned(r.finished_at, props.timeZone)}</td>
            <td class="num">{String(r.attempts)}</td>
            <td>{String(r.error ?? "")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
