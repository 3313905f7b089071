/**
 * Lists are paged on the server: a page holds `size` rows, `?page=N` (from 1) picks which, and the links
 * keep every other parameter of the address. A read asks for one row more than it shows, to know whether
 * an older page exists without counting the whole history.
 */

/** The page a request asks for, its first row (`offset`) and how many rows to read (`size + 1`). */
export function pageOf(
  query: string | undefined,
  size: number,
): { page: number; offset: number; read: number } {
  const asked = Number(query);
  const page = Number.isSafeInteger(asked) && asked >= 1 && asked <= 100_000 ? asked : 1;
  return { page, offset: (page - 1) * size, read: size + 1 };
}

/** A list's page: which, its size, how many rows the read returned (up to `size + 1`), the links. */
export interface PagerView {
  page: number;
  size: number;
  rows: number;
  href: (page: number) => string;
}

/** Newer / older links under a list. */
export function Pager(props: PagerView) {
  const { page, size, rows } = props;
  const more = rows > size;
  if (page === 1 && !more) return null;
  const first = (page - 1) * size + 1;
  return (
    <p class="pager">
      Rows {first}–{first + Math.min(rows, size) - 1}
      {page > 1 && (
        <>
          {" "}· <a href={props.href(page - 1)} rel="prev">← newer</a>
        </>
      )}
      {more && (
        <>
          {" "}· <a href={props.href(page + 1)} rel="next">older →</a>
        </>
      )}
    </p>
  );
}

/** The address `path?query` with `page` set (and the rest of `query` kept). */
export function pageHref(path: string, query: Record<string, string>, page: number): string {
  const q = new URLSearchParams({ ...query, page: String(page) });
  if (page === 1) q.delete("page");
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}
