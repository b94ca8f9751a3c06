/**
 * The actions dual control can hold for approval. Each has exactly one executor (the
 * composition root builds a `Record<ApprovableAction, ...>`, so the compiler checks that
 * none is missing) and may be required by the approval policy.
 */

/** Actions that can be placed under dual control. */
export const APPROVABLE_ACTIONS = [
  "key.destroy",
  "key.activate",
  "key.rotate",
  "key.rollback",
  "key.purge",
  "policy.create",
  "policy.update",
  "policy.delete",
] as const;

/** An action that can require approval. */
export type ApprovableAction = typeof APPROVABLE_ACTIONS[number];
