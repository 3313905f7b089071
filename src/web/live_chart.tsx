/**
 * Charts the browser may draw live: the server's SVG, and beside it the spec `charts.js` hands to
 * vega-embed (as JSON no script can break out of). Without script, or if it fails, the SVG stays.
 */
import { CHART_SCRIPTS } from "./chart_scripts.ts";

/** A chart: its SVG, and its live spec when it has one. */
export interface Chart {
  svg: string;
  live?: unknown;
}

export function ChartFigure(props: { chart: Chart }) {
  const { svg, live } = props.chart;
  if (live === undefined) return <figure dangerouslySetInnerHTML={{ __html: svg }} />;
  const json = JSON.stringify(live).replace(/</g, "\\u003c");
  return (
    <figure class="interactive">
      <div class="chart" dangerouslySetInnerHTML={{ __html: svg }} />
      <script type="application/json" class="vega-spec" dangerouslySetInnerHTML={{ __html: json }} />
    </figure>
  );
}

/** The scripts that make live charts live: once per page, after its charts. */
export function ChartScripts(props: { charts: Chart[] }) {
  if (!props.charts.some((c) => c.live !== undefined)) return null;
  return <>{CHART_SCRIPTS.map((src) => <script src={src} defer />)}</>;
}

/** What a page with live charts says above them. */
export function LiveHint() {
  return (
    <p class="muted">
      Point at a dot for its unit and date, click it to open the unit; on a trend, drag or scroll to zoom the
      time axis.
    </p>
  );
}
