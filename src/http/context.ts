/**
 * Per-request variables every router can read (`c.get("actor")`), declared once.
 */

import type { Actor } from "../keys/guard.ts";

/** Hono environment of the FerroHSM app. */
export interface AppEnv {
  Variables: {
    /** The authenticated caller (set by the auth middleware on /api routes). */
    actor: Actor;
    /** Request id echoed in `X-Request-Id`. */
    requestId: string;
  };
}
