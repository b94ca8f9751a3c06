/**
 * Turns the operating-system and runtime errors of start-up steps (binding the listener,
 * claiming the data dir, reading files) into StartupErrors whose message says in words
 * what failed and why: `Cannot listen on 127.0.0.1:8443: address already in use`,
 * never a runtime class name or Deno's advice to rerun with broader permissions.
 * The words come from `src/util/system_error.ts`.
 */

import { describeSystemError } from "../util/system_error.ts";
import { EXIT, StartupError } from "./startup_error.ts";

/**
 * A StartupError `Cannot <action>: <reason>` for a system error (exit `exitCode`), or
 * `err` itself when it is not one.
 */
export function startupFailure(
  err: unknown,
  action: string,
  exitCode: number = EXIT.usage,
): unknown {
  if (err instanceof StartupError) return err;
  const reason = describeSystemError(err);
  if (reason === undefined) return err;
  return new StartupError(exitCode, `Cannot ${action}: ${reason}`, { cause: err });
}
