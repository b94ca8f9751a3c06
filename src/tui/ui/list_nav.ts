/**
 * Moving a selection through a list with the bound keys (up/down, page up/down, first,
 * last): one pure function every list screen uses.
 */

import { type Bindings, isAction } from "../key_bindings.ts";

/** The new selected index after key `name`, or undefined when `name` does not move. */
export function listMove(
  bindings: Bindings,
  name: string,
  selected: number,
  count: number,
  page: number,
): number | undefined {
  if (count === 0) return undefined;
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  if (isAction(bindings, "up", name)) return clamp(selected - 1);
  if (isAction(bindings, "down", name)) return clamp(selected + 1);
  if (isAction(bindings, "pageUp", name)) return clamp(selected - Math.max(1, page));
  if (isAction(bindings, "pageDown", name)) return clamp(selected + Math.max(1, page));
  if (isAction(bindings, "first", name)) return 0;
  if (isAction(bindings, "last", name)) return count - 1;
  return undefined;
}
