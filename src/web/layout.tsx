/**
 * The frame of every page of the engineers' workbench: the title, the way around (live page, search), one
 * search box, and print rules. Server-rendered with Hono's JSX; the pages need no script.
 */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";

import { num } from "../numbers.ts";

export { fixed, num, pct } from "../numbers.ts";

const STYLE = `
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:0;color:#212121}
header{display:flex;gap:16px;align-items:center;padding:10px 24px;background:#263238;color:#fff}
header a{color:#fff;text-decoration:none;font-weight:bold;margin-right:14px}
header form{margin-left:auto}header input{padding:4px 8px;width:260px}
main{padding:16px 24px;max-width:1200px}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.PASS{color:#2e7d32}.WARNING{color:#ef6c00}.FAIL,.ERROR,.quarantined{color:#c62828;font-weight:bold}
figure{margin:8px 0 20px}figure img{max-width:100%;border:1px solid #eee}figure svg{max-width:100%;height:auto}figcaption{font-size:90%;color:#555}
.muted{color:#666}.hint{color:#666;font-size:90%;max-width:900px}
ul.warnings{color:#8d4b00;background:#fff8e1;border:1px solid #ffe082;padding:6px 6px 6px 28px;max-width:900px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:200px}
.card-title{font-size:90%;color:#555}.card-value{font-size:180%;font-weight:bold;margin:4px 0}
.spark svg{display:block}form.range{margin:8px 0;padding:8px;background:#fafafa;border:1px solid #eee}
form.range a{margin:0 4px}
@page{margin:12mm}
@media print{header form,header nav,form.range,form.ack,a.pdf{display:none}header{background:none;color:#000}header a{color:#000}
main{max-width:none}figure{break-inside:avoid}}
`;

/** A whole page: `title` in the tab and as its heading, `q` kept in the search box. */
export function Page(props: { title: string; q?: string; children?: Child }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{props.title} · lta</title>
          <style dangerouslySetInnerHTML={{ __html: STYLE }} />
        </head>
        <body>
          <header>
            <a href="/">lta</a>
            <nav>
              <a href="/">dashboard</a> <a href="/models">models</a> <a href="/compare">compare</a>{" "}
              <a href="/alarms">alarms</a> <a href="/quarantine">quarantine</a> <a href="/live">live</a>{" "}
              <a href="/service">service</a>
            </nav>
            <form action="/search" method="get" role="search">
              <input
                type="search"
                name="q"
                value={props.q ?? ""}
                placeholder="serial, model or file name"
                aria-label="search"
              />
            </form>
          </header>
          <main>
            <h1>{props.title}</h1>
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}

/** A table's header row. */
export function Head(props: { names: string[] }) {
  return (
    <thead>
      <tr>{props.names.map((h) => <th>{h}</th>)}</tr>
    </thead>
  );
}

/** A verdict, coloured by its meaning. */
export function Status(props: { status: unknown }) {
  return <span class={String(props.status)}>{String(props.status ?? "—")}</span>;
}

/** A track's id, verdict, and its two measures against their limits: the cells every track table starts with. */
export function TrackCells(props: { t: Record<string, unknown> }) {
  const { t } = props;
  return (
    <>
      <td>{String(t.track_id)}</td>
      <td>
        <Status status={t.overall_status} />
      </td>
      <td class="num">{num(t.sigma_gradient)} / {num(t.sigma_threshold)}</td>
      <td class="num">{num(t.linearity_error)} / {num(t.linearity_spec)}</td>
    </>
  );
}

/** The address of a unit's page. */
export function unitHref(model: unknown, serial: unknown): string {
  return `/units/${encodeURIComponent(String(model))}/${encodeURIComponent(String(serial))}`;
}
