/**
 * Checks an HTTP answer against the contract: the operation its method and path name,
 * a status that operation declares, and a body its schema accepts. Used by every
 * in-process route test (through `tests/routes/_app.ts`), so any answer the suite sees
 * that the contract does not describe fails the test that caused it.
 */

import { ErrorBody } from "../../src/contract/common.ts";
import { type Operation, type OperationId, OPERATIONS } from "../../src/contract/operations.ts";
import { statusForCode } from "../../src/contract/status.ts";

const MATCHERS: readonly [OperationId, Operation, RegExp][] = (
  Object.entries(OPERATIONS) as [OperationId, Operation][]
).map(([id, op]) => [
  id,
  op,
  new RegExp(`^${op.path.replace(/:[A-Za-z_]+/g, "[^/]+")}$`),
]);

/** Operations whose answers have been checked, with the statuses seen (for coverage). */
export const SEEN = new Map<OperationId, Set<number>>();

/** The operation serving `method` `path`, or undefined for a path outside the API. */
export function operationFor(
  method: string,
  path: string,
): [OperationId, Operation] | undefined {
  const m = method.toLowerCase();
  const found = MATCHERS.find(([, op, re]) => op.method === m && re.test(path));
  return found === undefined ? undefined : [found[0], found[1]];
}

/**
 * Throws when the answer is not one the contract declares for the operation. Paths
 * outside the table must answer the contract's 404 error body.
 */
export function assertConforms(method: string, url: string, status: number, body: unknown): void {
  const path = new URL(url, "http://x").pathname;
  const found = operationFor(method, path);
  if (found === undefined) {
    if (status !== 404 && status !== 405 || !ErrorBody.safeParse(body).success) {
      throw new Error(`${method} ${path} is not in the contract but answered ${status}`);
    }
    return;
  }
  const [id, op] = found;
  const declared = op.responses[status];
  if (declared !== undefined) {
    if (declared.schema !== undefined) {
      const parsed = declared.schema.safeParse(body);
      if (!parsed.success) {
        throw new Error(
          `${id} answered ${status} with a body outside the contract: ${parsed.error.message}`,
        );
      }
    }
  } else {
    const error = ErrorBody.safeParse(body);
    if (!error.success) {
      throw new Error(`${id} answered ${status}, which it does not declare`);
    }
    const code = error.data.error.code;
    if (!op.errors.includes(code) || statusForCode(code) !== status) {
      throw new Error(`${id} answered ${status} ${code}, which it does not declare`);
    }
  }
  let statuses = SEEN.get(id);
  if (statuses === undefined) SEEN.set(id, statuses = new Set());
  statuses.add(status);
}
