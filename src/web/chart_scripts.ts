/** The scripts a page with live charts loads, in order (served by the service itself, `/assets/…`). */
export const CHART_SCRIPT_NAMES = [
  "vega.min.js",
  "vega-lite.min.js",
  "vega-embed.min.js",
  "charts.js",
] as const;

export const CHART_SCRIPTS = CHART_SCRIPT_NAMES.map((name) => `/assets/${name}`);
