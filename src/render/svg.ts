/**
 * Vega-Lite templates rendered to SVG on the server: no browser, no canvas. Each template is compiled and
 * parsed once and kept in a cache bounded in bytes; each chart gets a fresh View that is finalized after
 * rendering, so nothing is retained between charts. Without a canvas, Vega measures text with its own
 * estimate, which depends only on the text: the same data give byte-identical SVG.
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import { registerRelief } from "../memory/gate.ts";

/** A named Vega-Lite template whose data come in the named dataset `rows`. */
export interface Template {
  name: string;
  spec: vl.TopLevelSpec;
}

const CACHE_BYTES = 4 * 1024 * 1024;
const parsed = new Map<string, { runtime: vega.Runtime; bytes: number }>();
let cachedBytes = 0;

/** The parsed runtime of a template, compiled on first use; least recently used templates go first. */
function runtimeFor(template: Template): vega.Runtime {
  const hit = parsed.get(template.name);
  if (hit) {
    parsed.delete(template.name);
    parsed.set(template.name, hit);
    return hit.runtime;
  }
  const compiled = vl.compile(template.spec).spec;
  const bytes = JSON.stringify(compiled).length * 2;
  const runtime = vega.parse(compiled);
  parsed.set(template.name, { runtime, bytes });
  cachedBytes += bytes;
  for (const [name, entry] of parsed) {
    if (cachedBytes <= CACHE_BYTES || name === template.name) break;
    parsed.delete(name);
    cachedBytes -= entry.bytes;
  }
  return runtime;
}

/** Drops every cached template (the memory gate calls this under pressure). */
export function clearTemplateCache(): void {
  parsed.clear();
  cachedBytes = 0;
}

registerRelief("chart templates", clearTemplateCache);

/** Renders `template` with `rows` and signal values (e.g. the title) to an SVG string. */
export async function renderSvg(
  template: Template,
  rows: Record<string, unknown>[],
  signals: Record<string, unknown> = {},
): Promise<string> {
  const view = new vega.View(runtimeFor(template), { renderer: "none", logLevel: vega.Error });
  try {
    view.data("rows", rows);
    for (const [name, value] of Object.entries(signals)) view.signal(name, value);
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Escapes text for HTML and SVG. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
