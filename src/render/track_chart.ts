/** The per-track chart: error vs position with limits, offset and fail points, from the database. */
import type { Queryable as Database } from "../db/database.ts";
import { FAIL_COLOR, PASS_COLOR, TRACK_CHART, WARN_COLOR } from "./specs.ts";
import { renderSvg } from "./svg.ts";

/** What one track chart shows. */
export interface TrackChartData {
  fileId: number;
  fileName: string;
  model: string | null;
  serial: string | null;
  trackId: string;
  status: string;
  offset: number;
  failPoints: number;
  rows: Array<{ position: number; value: number; series: string }>;
}

/** Resolves a file given by id or by name (the newest loaded version of that name). */
export async function findFile(
  db: Database,
  ref: string,
): Promise<{ fileId: number; fileName: string } | null> {
  const rows = await db.rows(
    `SELECT file_id, file_name FROM files
     WHERE status = 'loaded' AND (file_name = $1 OR CAST(file_id AS VARCHAR) = $1)
     ORDER BY file_name = $1, version DESC LIMIT 1`,
    [ref],
  );
  return rows[0] ? { fileId: Number(rows[0].file_id), fileName: String(rows[0].file_name) } : null;
}

/** Reads what the chart of (`fileId`, `trackId`) needs; `null` when the track has no verdict. */
export async function trackChartData(
  db: Database,
  fileId: number,
  trackId: string,
): Promise<TrackChartData | null> {
  // Both sides filtered on file_id so the join touches one ledger row.
  const [t] = await db.rows(
    `SELECT f.file_name, f.model, f.serial, t.overall_status, coalesce(t.optimal_offset, 0) AS offset, t.stage
     FROM tracks t JOIN files f ON f.file_id = t.file_id
     WHERE t.file_id = $1 AND f.file_id = $1 AND t.track_id = $2`,
    [fileId, trackId],
  );
  if (!t) return null;
  const offset = Number(t.offset);
  const rows: TrackChartData["rows"] = [];
  let failPoints = 0;
  await db.eachChunk(
    `SELECT stage = $3 AS is_data, position, error + CASE WHEN stage = $3 THEN $4 ELSE 0 END AS value,
            upper_limit, lower_limit
     FROM points WHERE file_id = $1 AND track_id = $2 ORDER BY stage, row_index`,
    [fileId, trackId, String(t.stage), offset],
    (chunk) => {
      const [isData, positions, values, uppers, lowers] = [0, 1, 2, 3, 4].map((c) => chunk.column(c));
      for (let i = 0; i < chunk.rowCount; i++) {
        const position = positions.getItem(i) as number;
        const value = values.getItem(i) as number;
        if (!isData.getItem(i)) {
          rows.push({ position, value, series: "untrimmed" });
          continue;
        }
        rows.push({ position, value, series: "shifted" });
        const upper = uppers.getItem(i) as number | null;
        const lower = lowers.getItem(i) as number | null;
        if (upper !== null) rows.push({ position, value: upper, series: "upper" });
        if (lower !== null) rows.push({ position, value: lower, series: "lower" });
        if (upper !== null && lower !== null && (value > upper || value < lower)) {
          rows.push({ position, value, series: "fail" });
          failPoints++;
        }
      }
    },
  );
  return {
    fileId,
    fileName: String(t.file_name),
    model: t.model as string | null,
    serial: t.serial as string | null,
    trackId,
    status: String(t.overall_status),
    offset,
    failPoints,
    rows,
  };
}

/** Renders a track chart to SVG. */
export async function trackChartSvg(data: TrackChartData): Promise<string> {
  const color = data.status === "PASS" ? PASS_COLOR : data.status === "WARNING" ? WARN_COLOR : FAIL_COLOR;
  return await renderSvg(TRACK_CHART, data.rows, {
    chartTitle: `${data.model ?? "?"} · SN ${data.serial ?? "?"} · ${data.trackId} · ${data.status}`,
    chartSubtitle: `${data.fileName} · offset ${
      data.offset.toPrecision(4)
    } V · ${data.failPoints} point(s) outside`,
    lineColor: color,
  });
}
