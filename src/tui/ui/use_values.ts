/**
 * Form values held in a ref as well as in state: key presses can arrive in one batch
 * faster than React renders (a paste followed by enter, keys sent over a slow SSH
 * link), so a submit must read the latest values, not the ones of the last render.
 */

import { useRef, useState } from "react";
import type { FieldUpdate, FieldValue } from "./form.ts";

/** Values, a field updater for `Form`, the latest values, and a setter for all of them. */
export function useValues<T extends object>(
  initial: T,
): [T, (name: string, update: FieldUpdate) => void, () => T, (next: T) => void] {
  const [values, setValues] = useState<T>(initial);
  const latest = useRef<T>(initial);
  const setAll = (next: T) => {
    latest.current = next;
    setValues(next);
  };
  const change = (name: string, update: FieldUpdate) => {
    const old = (latest.current as Record<string, FieldValue>)[name] ?? "";
    setAll({ ...latest.current, [name]: update(old) });
  };
  return [values, change, () => latest.current, setAll];
}
