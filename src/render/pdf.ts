/**
 * PDF documents from blocks: headings, text, tables and charts. pdfkit lays them out and svg-to-pdfkit
 * draws each chart's SVG as vectors, so a printed chart stays sharp. DejaVu Sans (the charts' own font)
 * is embedded: the PDF's standard fonts lack −, σ and →, which the charts and tables use.
 */
import { createRequire } from "node:module";
import PDFDocument from "pdfkit";
import SVGtoPDF from "svg-to-pdfkit";

export type PdfBlock =
  | { heading: string }
  | { text: string }
  | { table: { header: string[]; rows: string[][] } }
  | { svg: string };

export type PaperSize = "A4" | "LETTER";

const require = createRequire(import.meta.url);
const FONTS = {
  regular: require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf"),
  bold: require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf"),
};
const MARGIN = 40;

/** The PDF of `title` and its blocks, on `size` paper. */
export async function pdfBytes(
  title: string,
  blocks: PdfBlock[],
  size: PaperSize = "A4",
): Promise<Uint8Array<ArrayBuffer>> {
  const doc = new PDFDocument({ size, margin: MARGIN, info: { Title: title, Creator: "lta" } });
  doc.registerFont("regular", FONTS.regular);
  doc.registerFont("bold", FONTS.bold);
  const chunks: Uint8Array[] = [];
  doc.on("data", (c: Uint8Array) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on("end", resolve);
    doc.on("error", reject);
  });
  doc.font("bold").fontSize(16).text(title);
  doc.moveDown(0.5);
  for (const block of blocks) place(doc, block);
  doc.end();
  await ended;
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

type Doc = InstanceType<typeof PDFDocument>;

function place(doc: Doc, block: PdfBlock): void {
  const width = doc.page.width - 2 * MARGIN;
  const room = () => doc.page.height - MARGIN - doc.y;
  if ("heading" in block) {
    if (room() < 80) doc.addPage();
    doc.moveDown(0.5).font("bold").fontSize(12).text(block.heading).moveDown(0.3);
  } else if ("text" in block) {
    doc.font("regular").fontSize(9).text(block.text).moveDown(0.3);
  } else if ("table" in block) {
    doc.font("regular").fontSize(8);
    doc.table({
      data: [block.table.header, ...block.table.rows],
      columnStyles: columnWidths(doc, [block.table.header, ...block.table.rows], width),
      rowStyles: (row: number) => row === 0 ? { font: { src: FONTS.bold }, backgroundColor: "#eeeeee" } : {},
      defaultStyle: { padding: 3, border: 0.5, borderColor: "#bbbbbb" },
    });
    doc.moveDown(0.5);
  } else {
    const [w, h] = svgSize(block.svg);
    const scale = Math.min(1, width / w);
    if (room() < h * scale) doc.addPage();
    // Scaled by the document's transform: svg-to-pdfkit's own width option left legends outside the page.
    doc.save().translate(MARGIN, doc.y).scale(scale);
    SVGtoPDF(doc, solidDashes(block.svg), 0, 0, {
      width: w,
      height: h,
      assumePt: true,
      fontCallback: (_family: string, bold: boolean) => (bold ? "bold" : "regular"),
    });
    doc.restore();
    doc.y += h * scale + 8;
  }
}

/** Vega writes a solid line as dash `1,0`; pdfkit refuses a zero length, and a solid line needs no dash. */
function solidDashes(svg: string): string {
  return svg.replace(
    / stroke-dasharray="([^"]*)"/g,
    (all, dash: string) => dash.split(/[ ,]+/).some((x) => !(Number(x) > 0)) ? "" : all,
  );
}

/**
 * Column widths from each column's widest cell or header word as set in the current font (plus padding),
 * scaled down together when the table is wider than the page: equal widths wrapped short numbers and
 * squeezed long verdicts.
 */
function columnWidths(doc: Doc, [header, ...rows]: string[][], width: number): number[] {
  const widest = (texts: string[]) => Math.max(...texts.map((t) => doc.widthOfString(t)));
  const natural = header.map((h, i) =>
    Math.min(width / 3, 8 + Math.max(widest(h.split(" ")), widest(rows.map((r) => String(r[i] ?? "")))))
  );
  const scale = Math.min(1, width / natural.reduce((a, w) => a + w, 0));
  return natural.map((w) => w * scale);
}

/** The width and height an SVG declares. */
function svgSize(svg: string): [number, number] {
  const head = svg.slice(0, 400);
  const w = Number(/\swidth="([\d.]+)"/.exec(head)?.[1] ?? 640);
  const h = Number(/\sheight="([\d.]+)"/.exec(head)?.[1] ?? 300);
  return [w, h];
}
