/** A list's paging at a request's address: the rows to read, and the page's links (other parameters kept). */
import type { Context } from "hono";
import { pageHref, pageOf, type PagerView } from "../web/pager.tsx";

/** What to read for this request's `?page=`: from `offset`, `read` rows (one more than a page shows). */
export function pageToRead(c: Context, size: number): { offset: number; read: number } {
  return pageOf(c.req.query("page"), size);
}

/** The pager under a list of `size` rows a page, once the read returned `rows`. */
export function paging(c: Context, size: number, rows: number): PagerView {
  const { page } = pageOf(c.req.query("page"), size);
  const query = Object.fromEntries(Object.entries(c.req.query()).filter(([k]) => k !== "page"));
  return { page, size, rows, href: (n: number) => pageHref(c.req.path, query, n) };
}
