// Progressive charts: each <figure class="interactive"> holds the server's SVG and its Vega-Lite spec as
// JSON; with this script the SVG gives way to a live chart (tooltips, zoom and pan, click a point to open
// its unit). Expressions run in Vega's interpreter (ast: true): the pages' CSP allows no eval. Warnings
// stay quiet, as on the server: an empty layer (no point in an alarm this month) warns of an empty extent.
for (const figure of document.querySelectorAll("figure.interactive")) {
  const spec = JSON.parse(figure.querySelector("script.vega-spec").textContent);
  const target = figure.querySelector(".chart");
  // deno-lint-ignore no-undef
  vegaEmbed(target, spec, { ast: true, actions: false, renderer: "svg", logLevel: vega.Error })
    .then(() => figure.classList.add("live"))
    .catch((e) => console.warn(`chart left as drawn by the server: ${e.message}`));
}
