/**
 * The code run in each fresh QuickJS realm before a policy (inside a sandbox child): it
 * removes code generation from strings (`eval`, the Function constructors), freezes
 * every object reachable from `globalThis` so nothing a script changes survives into a
 * later evaluation, and returns the host's private `invoke` helper. The helper parses
 * the context with a reviver that freezes each object (a frozen deep copy), calls the
 * policy, and classifies what came back. It is never reachable from the policy: it is
 * returned to the host, not stored on the global object.
 */

/** The longest deny reason or error detail kept. */
export const MAX_REASON_CHARS = 256;

/**
 * Runs in the fresh realm before the policy: tames code generation, freezes everything
 * reachable from the global object, and returns the host's private `invoke` helper,
 * which is never reachable from the policy. Its answer is a string: `A` allow, `D` +
 * reason deny, `I` + type invalid result, `T`/`M` + description for a throw/out of memory.
 */
export const SETUP_SOURCE: string = `(() => {
  "use strict";
  const { freeze, getPrototypeOf, defineProperty } = Object;
  const { ownKeys, getOwnPropertyDescriptor } = Reflect;
  const { parse } = JSON;
  const { isArray } = Array;
  const ErrorCtor = Error;
  const InternalErrorCtor = InternalError;
  const StringCtor = String;
  const slice = Function.prototype.call.bind(String.prototype.slice);
  const noCodegen = function () { throw new TypeError("Code generation from strings is disabled"); };
  for (const sample of [function () {}, async function () {}, function* () {}, async function* () {}]) {
    defineProperty(getPrototypeOf(sample), "constructor", { value: noCodegen, writable: false, configurable: false });
  }
  noCodegen.prototype = Function.prototype;
  defineProperty(globalThis, "Function", { value: noCodegen, writable: false, configurable: false });
  delete globalThis.eval;
  const harden = (root) => {
    const seen = new Set();
    const stack = [root];
    while (stack.length > 0) {
      const value = stack.pop();
      if ((typeof value !== "object" || value === null) && typeof value !== "function") continue;
      if (seen.has(value)) continue;
      seen.add(value);
      freeze(value);
      stack.push(getPrototypeOf(value));
      for (const key of ownKeys(value)) {
        const desc = getOwnPropertyDescriptor(value, key);
        if (desc === undefined) continue;
        if ("value" in desc) stack.push(desc.value);
        else stack.push(desc.get, desc.set);
      }
    }
  };
  harden(globalThis);
  // JSON.parse calls the reviver bottom-up: every object is frozen once its children are.
  const freezeObjects = (_key, value) => (typeof value === "object" && value !== null ? freeze(value) : value);
  const describe = (e) => {
    try {
      if (e instanceof ErrorCtor) return slice(StringCtor(e.name) + ": " + StringCtor(e.message), 0, ${MAX_REASON_CHARS});
      return "a thrown " + (e === null ? "null" : typeof e);
    } catch {
      return "an unprintable thrown value";
    }
  };
  return (fn, json) => {
    const ctx = parse(json, freezeObjects);
    let result;
    try {
      result = fn(ctx);
    } catch (e) {
      if (e instanceof InternalErrorCtor && e.message === "out of memory") return "M" + describe(e);
      return "T" + describe(e);
    }
    if (result === true) return "A";
    if (result === false) return "D";
    if (typeof result === "object" && result !== null && !isArray(result)) {
      let reason;
      try {
        reason = result.deny;
      } catch (e) {
        return "T" + describe(e);
      }
      if (typeof reason === "string") return "D" + slice(reason, 0, ${MAX_REASON_CHARS});
    }
    return "I" + (result === null ? "null" : typeof result);
  };
})()`;
