/**
 * The contract of the open operational endpoints: `/healthz` and `/readyz`.
 */

import { z } from "zod";

/**
 * `GET /healthz`: `status` and `uptime_s`; with a bearer token of any role also the
 * operator figures beside them.
 */
export const Health = z.looseObject({
  status: z.enum(["ok", "degraded", "starting"]),
  uptime_s: z.number().int().min(0),
});

/** `GET /readyz`: `unavailable` while the stores or the audit log cannot be used. */
export const Readiness = z.strictObject({ status: z.enum(["ready", "starting", "unavailable"]) });

/** The health document as clients read it. */
export type HealthJson = z.output<typeof Health>;
