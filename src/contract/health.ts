/**
 * The contract of the open operational endpoints: `/healthz` and `/readyz`.
 */

import { z } from "zod";

/** `GET /healthz`: `status` and `uptime_s`, and the operator figures beside them. */
export const Health = z.looseObject({
  status: z.enum(["ok", "degraded", "starting"]),
  uptime_s: z.number().int().min(0),
});

/** `GET /readyz`. */
export const Readiness = z.strictObject({ status: z.enum(["ready", "starting"]) });

/** The health document as clients read it. */
export type HealthJson = z.output<typeof Health>;
