/** The per-track chart: error vs position with limits, offset and fail points, from the database. */
import type { Queryable as Database } from "../db/database.ts";
import { trackTemplate } from "./track_spec.ts";
import { renderSvg } from "./svg.ts";

/** One row of a track chart: a point of a series, or the limits at a position (`band`). */
export type ChartRow = {
  position: number;
  series: "untrimmed" | "raw" | "shifted" | "fail" | "clipped" | "band";
  value?: number;
  lo?: number;
  hi?: number;
};

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
  rows: ChartRow[];
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
    `SELECT stage = $3 AS is_data, position, error, error + CASE WHEN stage = $3 THEN $4 ELSE 0 END AS value,
            upper_limit, lower_limit
     FROM points WHERE file_id = $1 AND track_id = $2 ORDER BY stage, row_index`,
    [fileId, trackId, String(t.stage), offset],
    (chunk) => {
      const [isData, positions, raws, values, uppers, lowers] = [0, 1, 2, 3, 4, 5].map((c) =>
        chunk.column(c)
      );
      for (let i = 0; i < chunk.rowCount; i++) {
        const position = positions.getItem(i) as number;
        const value = values.getItem(i) as number;
        if (!isData.getItem(i)) {
          rows.push({ position, value, series: "untrimmed" });
          continue;
        }
        rows.push({ position, value, series: "shifted" }, {
          position,
          value: raws.getItem(i) as number,
          series: "raw",
        });
        const hi = uppers.getItem(i) as number | null;
        const lo = lowers.getItem(i) as number | null;
        if (hi === null || lo === null) continue;
        rows.push({ position, lo, hi, series: "band" });
        if (value > hi || value < lo) {
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
  const untrimmed = spread(data.rows.filter((r) => r.series === "untrimmed").map((r) => r.value!));
  // Upstream gives the untrimmed stage its own axis once it would dwarf the trimmed one (3×); here, once it
  // would shrink the trimmed error and its limits to a third of the plot.
  const trimmedScale = robustScale(data.rows, true);
  const twoAxes = untrimmed.span >= 3 * (trimmedScale.yMax - trimmedScale.yMin);
  const scale = twoAxes ? trimmedScale : robustScale(data.rows, false);
  const positions = spread(data.rows.filter((r) => r.series === "shifted").map((r) => r.position));
  // A travel over 10 is degrees: linear parts travel 0.3–5.2 inches, rotary ones 55–358 degrees.
  const unit = positions.span > 10 ? "degrees" : "inches";
  return await renderSvg(trackTemplate(unit, twoAxes), [...data.rows, ...scale.clipped], {
    chartTitle: `${data.model ?? "?"} · SN ${data.serial ?? "?"} · ${data.trackId} · ${data.status}`,
    chartSubtitle: `${data.fileName} · offset ${
      data.offset.toPrecision(4)
    } V · ${data.failPoints} point(s) outside${
      scale.clipped.length ? ` · ${new Set(scale.clipped.map((r) => r.position)).size} beyond the scale` : ""
    }`,
    yMin: scale.yMin,
    yMax: scale.yMax,
  });
}

/** The smallest and largest of `values`, and the distance between them. */
function spread(values: number[]): { min: number; max: number; span: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max, span: values.length ? max - min : 0 };
}

/** The value at quantile `q` of ascending `sorted`. */
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];

/**
 * The y scale: the limits and the 1st–99th percentiles of the errors drawn on it, padded by a tenth, so a
 * single spike cannot squash the plot; the points beyond it, as `clipped` rows at its edge.
 */
function robustScale(rows: ChartRow[], twoAxes: boolean) {
  const onScale = new Set(["shifted", "raw", "fail", ...(twoAxes ? [] : ["untrimmed"])]);
  let lo = Infinity;
  let hi = -Infinity;
  for (const series of onScale) {
    const values = rows.filter((r) => r.series === series).map((r) => r.value!).sort((a, b) => a - b);
    if (values.length === 0 || series === "fail") continue;
    lo = Math.min(lo, quantile(values, 0.01));
    hi = Math.max(hi, quantile(values, 0.99));
  }
  for (const r of rows) {
    if (r.series === "band") {
      lo = Math.min(lo, r.lo!);
      hi = Math.max(hi, r.hi!);
    }
  }
  if (!Number.isFinite(lo)) [lo, hi] = [-1, 1];
  const pad = (hi - lo) * 0.1 || Math.abs(hi) * 0.1 || 1e-6;
  const [yMin, yMax] = [lo - pad, hi + pad];
  const clipped: ChartRow[] = rows
    .filter((r) => onScale.has(r.series) && r.series !== "fail" && (r.value! < yMin || r.value! > yMax))
    .map((r) => ({
      position: r.position,
      value: Math.min(yMax, Math.max(yMin, r.value!)),
      series: "clipped",
    }));
  return { yMin, yMax, clipped };
}
