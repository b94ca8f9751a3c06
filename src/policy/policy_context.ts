/**
 * Builds the context a policy script sees from the facts a request hook has: the actor,
 * the action, the key's metadata (never its material) and the request's time, client
 * address, size and channel. Clock fields are given in one configured IANA zone and in
 * UTC. Call it only when `PolicyEngine.select` found a policy: requests with no policy
 * should not pay for the time-zone arithmetic.
 */

import { HsmError } from "../domain/errors.ts";
import {
  type PolicyAction,
  type PolicyContext,
  type PolicyVia,
  sampleContextSchema,
} from "./policy_types.ts";

/** What a request hook knows, in the project's camelCase. */
export interface PolicyContextInput {
  readonly actor: {
    readonly sub: string;
    readonly roles: readonly string[];
    readonly certThumbprint?: string;
  };
  readonly action: PolicyAction;
  /** The key's metadata, when the request names a key (or creates one). */
  readonly key?: {
    readonly id: string;
    readonly algorithm: string;
    readonly tags: Readonly<Record<string, string>>;
    readonly state: string;
    readonly version: number;
  };
  readonly request: {
    readonly time: Date;
    readonly clientIp: string;
    /** Request body size in bytes. */
    readonly size: number;
    readonly via: PolicyVia;
  };
  /** The IANA zone for `hour`, `minute` and `weekday` (e.g. `Europe/Paris`). */
  readonly timeZone: string;
}

const WEEKDAYS: ReadonlyMap<string, number> = new Map([
  ["Sun", 0],
  ["Mon", 1],
  ["Tue", 2],
  ["Wed", 3],
  ["Thu", 4],
  ["Fri", 5],
  ["Sat", 6],
]);

/** Zones are few (from configuration), so their formatters are kept. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
    });
    if (formatters.size < 64) formatters.set(timeZone, format);
  }
  return format;
}

/** True when `timeZone` is an IANA zone this runtime knows (check configuration with it). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Hour, minute and weekday (0 = Sunday) of `time` in `timeZone`.
 * @throws RangeError when the zone is unknown or the date is invalid
 */
export function clockIn(
  time: Date,
  timeZone: string,
): { hour: number; minute: number; weekday: number } {
  if (Number.isNaN(time.getTime())) throw new RangeError("time is an invalid date");
  if (timeZone === "UTC") {
    return { hour: time.getUTCHours(), minute: time.getUTCMinutes(), weekday: time.getUTCDay() };
  }
  let hour = -1;
  let minute = -1;
  let weekday = -1;
  for (const part of formatterFor(timeZone).formatToParts(time)) {
    if (part.type === "hour") hour = Number(part.value);
    else if (part.type === "minute") minute = Number(part.value);
    else if (part.type === "weekday") weekday = WEEKDAYS.get(part.value) ?? -1;
  }
  if (hour < 0 || minute < 0 || weekday < 0) {
    throw new RangeError(`Cannot read the clock in ${timeZone}: unexpected format`);
  }
  return { hour, minute, weekday };
}

/**
 * The context for one request, in the API's snake_case (see `PolicyContext`).
 * @throws RangeError when the zone is unknown or the time is invalid (configuration errors)
 */
export function buildPolicyContext(input: PolicyContextInput): PolicyContext {
  const { actor, key, request } = input;
  const local = clockIn(request.time, input.timeZone);
  const utc = input.timeZone === "UTC" ? local : clockIn(request.time, "UTC");
  return {
    actor: {
      sub: actor.sub,
      roles: [...actor.roles],
      ...(actor.certThumbprint === undefined ? {} : { cert_thumbprint: actor.certThumbprint }),
    },
    action: input.action,
    ...(key === undefined ? {} : {
      key: {
        id: key.id,
        algorithm: key.algorithm,
        tags: { ...key.tags },
        state: key.state,
        version: key.version,
      },
    }),
    request: {
      time: request.time.toISOString(),
      time_zone: input.timeZone,
      ...local,
      utc,
      client_ip: request.clientIp,
      size: request.size,
      via: request.via,
    },
    ...local,
  };
}

/**
 * A context from a sample (`sampleContextSchema`: actor, action, key, and the request's
 * time, client IP, size and channel), its clock fields computed in `timeZone`, so an
 * operator trying a policy cannot send inconsistent hours.
 * @throws HsmError `invalid_request` naming the first bad field
 */
export function parseSampleContext(input: unknown, timeZone: string): PolicyContext {
  const parsed = sampleContextSchema.safeParse(input);
  if (!parsed.success) {
    const path = ["context", ...(parsed.error.issues[0]?.path ?? []).map(String)].join(".");
    throw new HsmError("invalid_request", `Cannot accept the sample context: ${path} is invalid`);
  }
  const { actor, action, key, request } = parsed.data;
  return buildPolicyContext({
    actor: {
      sub: actor.sub,
      roles: actor.roles,
      ...(actor.cert_thumbprint === undefined ? {} : { certThumbprint: actor.cert_thumbprint }),
    },
    action,
    ...(key === undefined ? {} : { key }),
    request: {
      time: new Date(request.time),
      clientIp: request.client_ip,
      size: request.size,
      via: request.via,
    },
    timeZone,
  });
}
