/**
 * Security headers of the web dashboard (pages, fragments and static assets), replacing
 * the API's defaults: the dashboard's Content-Security-Policy (scripts, styles, images
 * and requests from our own origin only; no inline script or style, no eval, no
 * framing, no `<base>`), `Referrer-Policy: same-origin` (with `no-referrer` browsers send
 * `Origin: null` on form posts, which the CSRF check must refuse), cross-origin isolation
 * of the window and resources, and `Vary: HX-Request` (pages and fragments share URLs).
 * Pages stay `Cache-Control: no-store` (set for every response by the app).
 */

import type { MiddlewareHandler } from "hono";

/** The dashboard's Content-Security-Policy, exactly as the issue states it. */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Sets the dashboard's security headers on every answer under its paths. */
export function uiSecurityHeaders(): MiddlewareHandler {
  return async function uiSecurityHeadersMiddleware(c, next) {
    c.header("Content-Security-Policy", UI_CONTENT_SECURITY_POLICY);
    c.header("Referrer-Policy", "same-origin");
    c.header("Cross-Origin-Opener-Policy", "same-origin");
    c.header("Cross-Origin-Resource-Policy", "same-origin");
    c.header("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    c.header("Vary", "HX-Request, HX-Target");
    await next();
  };
}
