/** The dashboard's stations side by side: a line that drifts apart from its neighbours shows here first. */
import { Head } from "./layout.tsx";
import { pct } from "../numbers.ts";
import { zoned } from "./zoned.ts";

type Row = Record<string, unknown>;

export function StationTable(props: { rows: Row[]; query: string; timeZone: string }) {
  if (props.rows.length === 0) return null;
  return (
    <>
      <h2>Stations</h2>
      <table>
        <Head
          names={[
            "station",
            "files",
            "tracks",
            "pass rate",
            "near misses",
            "newest test",
            "last file loaded",
            "open alarms",
          ]}
        />
        <tbody>
          {props.rows.map((s) => (
            <tr>
              <td>
                <a href={`/?${props.query}&system=${encodeURIComponent(`station:${s.station}`)}`}>
                  {String(s.station)}
                </a>
              </td>
              <td class="num">{String(s.files)}</td>
              <td class="num">{String(s.tracks)}</td>
              <td class="num">{pct(s.pass_rate)}</td>
              <td class="num">{pct(s.near_miss_rate)}</td>
              <td>{String(s.last_test)}</td>
              <td>{zoned(s.last_loaded, props.timeZone)}</td>
              <td class="num">
                {Number(s.open_alarms) > 0
                  ? (
                    <a href={`/alarms?station=${encodeURIComponent(String(s.station))}`}>
                      {String(s.open_alarms)}
                    </a>
                  )
                  : "0"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
