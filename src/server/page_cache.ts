/**
 * Rendered history pages, kept until the data change. A page of the dashboard or of a model reads a
 * year of tracks in several statements (0.3–2 s at a million tracks); plants load a file every few
 * minutes and many people look in between, so each page is rendered once per data version (`dataVersion`
 * in `src/db`) and day. Bounded in bytes (16 MB), least recently used first; the memory gate empties it.
 */
import { registerRelief } from "../memory/gate.ts";

const CACHE_BYTES = 16 * 1024 * 1024;

export class PageCache {
  #pages = new Map<string, { version: string; html: string; at: number }>();
  #bytes = 0;
  readonly #unregister: () => void;

  constructor(readonly maxBytes = CACHE_BYTES) {
    this.#unregister = registerRelief("page cache", () => this.clear());
  }

  /** The page stored under `key` for `version`, or `undefined`. */
  get(key: string, version: string): string | undefined {
    const hit = this.#pages.get(key);
    if (!hit) return undefined;
    this.#pages.delete(key);
    if (hit.version !== version) {
      this.#bytes -= hit.html.length * 2;
      return undefined;
    }
    this.#pages.set(key, hit);
    return hit.html;
  }

  /** The page stored under `key` if it was rendered less than `ms` ago, whatever the data since. */
  recent(key: string, ms: number, now = Date.now()): string | undefined {
    const hit = this.#pages.get(key);
    return hit && now - hit.at < ms ? hit.html : undefined;
  }

  set(key: string, version: string, html: string): void {
    const old = this.#pages.get(key);
    if (old) this.#bytes -= old.html.length * 2;
    this.#pages.delete(key);
    if (html.length * 2 > this.maxBytes) return;
    this.#pages.set(key, { version, html, at: Date.now() });
    this.#bytes += html.length * 2;
    for (const [k, page] of this.#pages) {
      if (this.#bytes <= this.maxBytes) break;
      this.#pages.delete(k);
      this.#bytes -= page.html.length * 2;
    }
  }

  clear(): void {
    this.#pages.clear();
    this.#bytes = 0;
  }

  /** Stops the memory gate from calling this cache (a server that is shutting down). */
  close(): void {
    this.clear();
    this.#unregister();
  }
}
