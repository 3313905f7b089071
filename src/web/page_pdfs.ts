/**
 * The PDFs behind the "PDF" links of the model and unit pages: the same numbers and charts as the page,
 * as blocks for `pdfBytes` (tables as text cells, charts as SVG drawn as vectors).
 */
import { sourceLabel } from "./range_form.tsx";
import type { PdfBlock } from "../render/pdf.ts";
import type { ModelView } from "./model_page.tsx";
import { num, pct } from "../numbers.ts";
import {
  CAPABILITY_FOOTNOTE,
  CAPABILITY_HEADER,
  capabilityCells,
  capabilityNotes,
} from "../render/capability_cells.ts";

type Row = Record<string, unknown>;

const text = (v: unknown) => (v === null || v === undefined ? "—" : String(v));

/** A model's scorecard, capability, charts, alarms and latest failures. */
export function modelPdfBlocks(v: ModelView): PdfBlock[] {
  const s = v.score;
  const blocks: PdfBlock[] = [
    {
      text: `${v.range.label}${v.track ? ` · ${v.track}` : " · all tracks"}${
        v.system ? ` · ${sourceLabel(v.system)}` : ""
      }`,
    },
    { heading: "Scorecard" },
    {
      table: {
        header: [
          "pass rate",
          "tracks",
          "files",
          "units",
          "fail",
          "warning",
          "sigma pass rate",
          "near misses",
        ],
        rows: [[
          pct(s.pass_rate),
          text(s.tracks),
          text(s.files),
          text(s.units),
          text(s.fails),
          text(s.warnings),
          pct(s.sigma_pass_rate),
          text(s.near_misses),
        ]],
      },
    },
    { heading: "Capability" },
    {
      table: {
        header: CAPABILITY_HEADER,
        rows: v.capability.map(capabilityCells),
      },
    },
    ...capabilityNotes(v.capability).map((text) => ({ text })),
    { text: CAPABILITY_FOOTNOTE },
    { heading: "Trends and control charts" },
    ...v.charts.map((chart) => ({ svg: chart.svg })),
    ...modelLists(v),
  ];
  return blocks;
}

/** The model's alarms and its latest failures. */
function modelLists(v: ModelView): PdfBlock[] {
  return [
    { heading: "Alarms" },
    table(["alarm", "metric · rule", "what", "last point", "state"], v.alarms, (a) => [
      text(a.alarm_id),
      `${a.metric} · ${a.rule}`,
      text(a.description),
      text(a.last_at),
      a.acknowledged_at ? `acknowledged: ${a.assignable_cause}` : "open",
    ]),
    { heading: "Latest tracks that did not pass" },
    table(["tested", "serial", "track", "verdict", "reason"], v.failures, (f) => [
      text(f.test_date),
      text(f.serial),
      text(f.track_id),
      text(f.overall_status),
      text(f.status_reason),
    ]),
  ];
}

/** A unit's verdicts, Final Tests and track charts. */
export function unitPdfBlocks(tracks: Row[], finals: Row[], charts: string[]): PdfBlock[] {
  return [
    { text: "Test dates are the station's clock." },
    { heading: "Verdicts" },
    table(
      [
        "test date",
        "file",
        "track",
        "verdict",
        "sigma / threshold",
        "linearity / spec",
        "offset",
        "fail points",
      ],
      tracks,
      (t) => [
        text(t.test_date),
        text(t.file_name),
        text(t.track_id),
        text(t.overall_status),
        `${num(t.sigma_gradient)} / ${num(t.sigma_threshold)}`,
        `${num(t.linearity_error)} / ${num(t.linearity_spec)}`,
        num(t.optimal_offset),
        text(t.fail_points),
      ],
    ),
    { heading: "Final Test" },
    table(["test date", "file", "track", "verdict", "against the trim"], finals, (f) => [
      text(f.test_date),
      text(f.file_name),
      text(f.track_id),
      text(f.status),
      text(f.outcome ?? "no trim before it"),
    ]),
    { heading: "Charts" },
    ...charts.map((svg) => ({ svg })),
  ];
}

function table(header: string[], rows: Row[], cells: (r: Row) => string[]): PdfBlock {
  return rows.length ? { table: { header, rows: rows.map(cells) } } : { text: "None." };
}
