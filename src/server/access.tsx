/**
 * Who may use the service when `httpToken` is set. API clients send the token as a bearer header; people
 * sign in once on `/login` and get a session cookie (HttpOnly, SameSite=Strict), so a plant's engineers can
 * open the pages from another PC. The token never appears in a URL or a log line. Sessions live in memory
 * for 12 hours; a restart asks people to sign in again.
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

/** Open sessions by their random id, with when each ends. */
export class Sessions {
  #ends = new Map<string, number>();

  open(now = Date.now()): string {
    for (const [id, end] of this.#ends) if (end <= now) this.#ends.delete(id);
    const id = crypto.randomUUID() + crypto.randomUUID();
    this.#ends.set(id, now + SESSION_MS);
    return id;
  }

  valid(id: string | undefined, now = Date.now()): boolean {
    return id !== undefined && (this.#ends.get(id) ?? 0) > now;
  }
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
export function accessGuard(token: string, sessions: Sessions): MiddlewareHandler {
  return async (c, next) => {
    if (OPEN_PATHS.has(c.req.path)) return await next();
    const bearer = c.req.header("authorization");
    if ((bearer && sameText(bearer, `Bearer ${token}`)) || sessions.valid(getCookie(c, COOKIE))) {
      return await next();
    }
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
export function addLoginRoutes(app: Hono, token: string, sessions: Sessions): void {
  // Guessing the token from a script is slowed to a few tries a minute.
  const failures = new RateLimit(10, 60_000);
  app.get("/login", (c) => c.html(<LoginPage next={localPath(c.req.query("next"))} />));
  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const next = localPath(typeof form.next === "string" ? form.next : undefined);
    const given = typeof form.token === "string" ? form.token : "";
    if (!sameText(given, token)) {
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
    setCookie(c, COOKIE, sessions.open(), {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: SESSION_MS / 1000,
    });
    return c.redirect(next, 303);
  });
}
