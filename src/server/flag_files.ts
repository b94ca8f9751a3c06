/**
 * Reading a file a flag names at start-up, with a failure that says which flag and file
 * and why in words (exit 2), never a raw runtime error.
 */

import { describeSystemError } from "../util/system_error.ts";
import { EXIT, StartupError } from "./startup_error.ts";

/** The text of the file `flag` names. @throws StartupError(EXIT.usage) naming both */
export async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    const reason = describeSystemError(err) ?? "unreadable";
    throw new StartupError(EXIT.usage, `Cannot read ${flag} ${path}: ${reason}`, { cause: err });
  }
}
