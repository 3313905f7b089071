/**
 * The scripts the pages load, served from this service (plants are often offline; no CDN): Vega, Vega-Lite
 * and vega-embed from the project's own node_modules, and lta's few lines that start the live charts.
 * Only these names; anything else is 404.
 */
import type { Hono } from "hono";
import type { CHART_SCRIPT_NAMES } from "../web/chart_scripts.ts";

const root = (path: string) => new URL(`../../${path}`, import.meta.url);

const ASSETS: Record<(typeof CHART_SCRIPT_NAMES)[number], URL> = {
  "vega.min.js": root("node_modules/vega/build/vega.min.js"),
  "vega-lite.min.js": root("node_modules/vega-lite/build/vega-lite.min.js"),
  "vega-embed.min.js": root("node_modules/vega-embed/build/vega-embed.min.js"),
  "charts.js": root("src/web/assets/charts.js"),
};

export function addAssetRoutes(app: Hono): void {
  app.get("/assets/:name", async (c) => {
    const file = ASSETS[c.req.param("name") as keyof typeof ASSETS];
    if (!file) return c.json({ error: "no such asset", code: "not_found" }, 404);
    return c.body(await Deno.readFile(file), 200, {
      "content-type": "text/javascript; charset=utf-8",
      // The files change only with an lta release, which restarts the service.
      "cache-control": "public, max-age=86400",
    });
  });
}
