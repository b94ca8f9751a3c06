/**
 * A start-up failure with the process exit code it must produce (contract: 2 for
 * missing or invalid configuration, 3 for a master key that does not match the data
 * dir; 4 for a failed power-up self-test; 1 otherwise).
 */

/** Exit codes of `ferrohsm`. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  wrongMasterKey: 3,
  selfTest: 4,
} as const;

/** Thrown by start-up steps; main prints the message and exits with `exitCode`. */
export class StartupError extends Error {
  readonly exitCode: number;

  constructor(exitCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StartupError";
    this.exitCode = exitCode;
  }
}
