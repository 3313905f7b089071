/**
 * The engineers' pages: search, a unit's story, a file. They translate the request to the reads in
 * `src/db` and render the answer (`src/web`), nothing more.
 */
import type { Hono } from "hono";
import type { Connection } from "../db/database.ts";
import { fileWithTracks } from "../db/history_reads.ts";
import { searchHistory, unitFinalTests, unitTracks } from "../db/unit_reads.ts";
import { SearchPage } from "../web/search_page.tsx";
import { UnitPage } from "../web/unit_page.tsx";
import { FilePage, NotFoundPage } from "../web/file_page.tsx";

type Read = <T>(work: (c: Connection) => Promise<T>) => Promise<T>;

/** Units a search lists at most. */
const SEARCH_LIMIT = 100;

/** The paths these routes serve (the reader gate admits them like the API). */
export const PAGE_PREFIXES = ["/search", "/units/", "/files/"];

export function addPageRoutes(app: Hono, read: Read): void {
  app.get("/search", async (c) => {
    const q = (c.req.query("q") ?? "").trim().slice(0, 200);
    const found = q ? await read((r) => searchHistory(r, q, SEARCH_LIMIT)) : { units: [], quarantined: [] };
    return c.html(<SearchPage q={q} limit={SEARCH_LIMIT} {...found} />);
  });
  app.get("/units/:model/:serial", async (c) => {
    const { model, serial } = c.req.param();
    const [tracks, finals] = await read(async (r) => [
      await unitTracks(r, model, serial),
      await unitFinalTests(r, model, serial),
    ]);
    if (tracks.length === 0 && finals.length === 0) {
      return c.html(<NotFoundPage what={`No unit ${model} / ${serial} in the history.`} />, 404);
    }
    return c.html(<UnitPage model={model} serial={serial} tracks={tracks} finals={finals} />);
  });
  app.get("/files/:id", async (c) => {
    const id = Number(c.req.param("id"));
    const file = Number.isSafeInteger(id) ? await read((r) => fileWithTracks(r, id)) : null;
    if (!file) return c.html(<NotFoundPage what={`No file ${c.req.param("id")} in the ledger.`} />, 404);
    const { tracks, ...row } = file;
    return c.html(<FilePage file={row} tracks={tracks} />);
  });
}
