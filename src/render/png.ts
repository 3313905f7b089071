/**
 * A chart as PNG, for where SVG is not shown: most mail clients (Outlook, Gmail) drop an inline SVG. resvg
 * (WebAssembly, no native code) draws it with the charts' own font; it is loaded on first use, so a
 * service that never mails a chart does not carry it.
 */
import { createRequire } from "node:module";

type Resvg = typeof import("@resvg/resvg-wasm");

let ready: Promise<{ resvg: Resvg; font: Uint8Array }> | null = null;

function load() {
  ready ??= (async () => {
    const resvg = await import("@resvg/resvg-wasm");
    const require = createRequire(import.meta.url);
    await resvg.initWasm(await Deno.readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")));
    const font = await Deno.readFile(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"));
    return { resvg, font };
  })();
  return ready;
}

/** `svg` drawn at `scale` times its size (1.5: sharp on a laptop screen, ~60 KB for a control chart). */
export async function svgToPng(svg: string, scale = 1.5): Promise<Uint8Array> {
  const { resvg, font } = await load();
  const image = new resvg.Resvg(svg, {
    font: { fontBuffers: [font], defaultFontFamily: "DejaVu Sans", loadSystemFonts: false },
    fitTo: { mode: "zoom", value: scale },
    background: "white",
  }).render();
  try {
    return image.asPng();
  } finally {
    image.free();
  }
}
