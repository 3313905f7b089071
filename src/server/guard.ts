/**
 * What every request must be before a route sees it: addressed to this service by a name it answers to
 * (a web page on another site could otherwise reach it through DNS rebinding), small, and, when it writes,
 * a JSON request from no other site (a form or a `text/plain` post from any page would be a cross-site
 * write). Pages get headers that keep them out of other sites' frames.
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { secureHeaders } from "hono/secure-headers";
import { isIpLiteral } from "../config/addresses.ts";

/** The largest request body: a query or an acknowledgement is a few KB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Refuses a `Host` that is neither an IP address, `localhost`, nor one of `names`. */
export function hostGuard(names: string[]): MiddlewareHandler {
  const allowed = new Set(["localhost", ...names.map((n) => n.toLowerCase())]);
  return async (c, next) => {
    const host = (c.req.header("host") ?? "").toLowerCase().replace(/:\d+$/, "");
    if (!isIpLiteral(host) && !allowed.has(host)) {
      return c.json({
        error: `this service does not answer to the host name "${host}"; add it to httpAllowedHosts`,
        code: "host_not_allowed",
      }, 403);
    }
    await next();
  };
}

/** Refuses a writing request that is not JSON (but a page's form post), or that a page of another origin sent. */
export function writeGuard(isFormPost: (path: string) => boolean = () => false): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return await next();
    const site = c.req.header("sec-fetch-site");
    const origin = c.req.header("origin");
    const host = c.req.header("host") ?? "";
    // Browsers set Sec-Fetch-Site and pages cannot forge it; under our no-referrer policy a form post's
    // Origin is "null", so Origin decides only where Sec-Fetch-Site is absent (older clients).
    const crossSite = site
      ? site !== "same-origin" && site !== "none"
      : origin !== undefined && originHost(origin) !== host.toLowerCase();
    if (crossSite) {
      return c.json({ error: "cross-site requests may not write", code: "cross_site" }, 403);
    }
    if (
      !isFormPost(c.req.path) && !/^application\/json\b/i.test(c.req.header("content-type") ?? "")
    ) {
      return c.json({
        error: "send writing requests as JSON (content-type: application/json)",
        code: "not_json",
      }, 415);
    }
    await next();
  };
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}

/** The body cap, answered as JSON like every other refusal. */
export function bodyCap(): MiddlewareHandler {
  return bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) =>
      c.json(
        { error: `request bodies are limited to ${MAX_BODY_BYTES / 1024} KB`, code: "body_too_large" },
        413,
      ),
  });
}

/** Pages stay out of other sites' frames; scripts and styles come from this service alone. */
export function pageHeaders(): MiddlewareHandler {
  return secureHeaders({
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      frameAncestors: ["'none'"],
    },
  });
}

/** At most `count` calls per `windowMs`; `take()` returns the seconds to wait, or 0 when one is free. */
export class RateLimit {
  #times: number[] = [];
  constructor(private readonly count: number, private readonly windowMs: number) {}

  take(now = Date.now()): number {
    this.#times = this.#times.filter((t) => now - t < this.windowMs);
    if (this.#times.length >= this.count) return Math.ceil((this.#times[0] + this.windowMs - now) / 1000);
    this.#times.push(now);
    return 0;
  }
}
