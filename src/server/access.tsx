/**
 * Who may use the service when `httpToken` is set. API clients send the token as a bearer header; people
 * sign in once on `/login` and get a session cookie (HttpOnly, SameSite=Strict), so a plant's engineers can
 * open the pages from another PC. The token never appears in a URL or a log line. Sessions live in memory
 * for 12 hours; a restart asks people to sign in again. A second, read-only token (`httpReadToken`) lets
 * remote engineers look without letting them acknowledge, reprocess or change anything.
 */
import type { Hono, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { RateLimit } from "./guard.ts";
import { LoginPage } from "../web/login_page.tsx";
import { localPath } from "./page_routes.tsx";

const COOKIE = "lta_session";
/** What anyone may reach: the health check, the form, and the icon browsers fetch on every page. */
const OPEN_PATHS = new Set(["/health", "/login", "/favicon.ico"]);
const SESSION_MS = 12 * 3_600_000;

/** What a token or session may do. */
export type Access = "full" | "read";

/** The service's tokens: the full one, and the read-only one when configured. */
export interface Tokens {
  full: string;
  read: string;
}

/** Requests that only read although they are POSTs (the SQL is checked read-only there). */
const READING_POSTS = new Set(["/api/query", "/login"]);

/** Open sessions by their random id, with when each ends and what it may do. */
export class Sessions {
  #open = new Map<string, { end: number; access: Access }>();

  open(access: Access, now = Date.now()): string {
    for (const [id, s] of this.#open) if (s.end <= now) this.#open.delete(id);
    const id = crypto.randomUUID() + crypto.randomUUID();
    this.#open.set(id, { end: now + SESSION_MS, access });
    return id;
  }

  access(id: string | undefined, now = Date.now()): Access | null {
    const s = id === undefined ? undefined : this.#open.get(id);
    return s && s.end > now ? s.access : null;
  }
}

/** What `given` (a token) grants, or `null`. */
function grant(given: string, tokens: Tokens): Access | null {
  if (sameText(given, tokens.full)) return "full";
  return tokens.read && sameText(given, tokens.read) ? "read" : null;
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Every route but `OPEN_PATHS` needs the bearer token or a session. A browser asking for a page
 * without one is sent to the login form; anything else gets 401.
 */
export function accessGuard(tokens: Tokens, sessions: Sessions): MiddlewareHandler {
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return await next();
    const bearer = c.req.header("authorization") ?? "";
    const access = (bearer.startsWith("Bearer ") ? grant(bearer.slice(7), tokens) : null) ??
      sessions.access(getCookie(c, COOKIE));
    const writes = !["GET", "HEAD"].includes(c.req.method) && !READING_POSTS.has(c.req.path);
    if (access === "read" && writes) {
      return c.json({
        error:
          "signed in with the read-only token: acknowledging, reprocessing and other changes need the full token",
        code: "read_only_access",
      }, 403);
    }
    if (access) return await next();
    const wantsPage = c.req.method === "GET" && !c.req.path.startsWith("/api/") &&
      (c.req.header("accept") ?? "").includes("text/html");
    if (wantsPage) {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    return c.json({ error: "missing or wrong bearer token (or sign in at /login)" }, 401);
  };
}

/** `GET /login` shows the form; `POST /login` checks the token and opens a session. */
export function addLoginRoutes(app: Hono, tokens: Tokens, sessions: Sessions): void {
  // Guessing the token from a script is slowed to a few tries a minute.
  const failures = new RateLimit(10, 60_000);
  app.get("/login", (c) => c.html(<LoginPage next={localPath(c.req.query("next"))} />));
  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const next = localPath(typeof form.next === "string" ? form.next : undefined);
    const given = typeof form.token === "string" ? form.token : "";
    const access = grant(given, tokens);
    if (!access) {
      const wait = failures.take();
      if (wait) {
        c.header("retry-after", String(wait));
        return c.html(
          <LoginPage next={next} problem={`Too many wrong tokens; try again in ${wait} s.`} />,
          429,
        );
      }
      return c.html(<LoginPage next={next} problem="That is not the service's token." />, 401);
    }
    setCookie(c, COOKIE, sessions.open(access), {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: SESSION_MS / 1000,
    });
    return c.redirect(next, 303);
  });
}
