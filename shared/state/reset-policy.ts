/**
 * When a setting that restarts collection (`MANAGEMENT_START_TIME`, `MESSAGE_TRACE_RESET`) resets a function's
 * persistence. Only a new, non-empty value does: `azd provision` rewrites every app setting, and a setting that goes
 * missing on the way must not wipe a cursor nobody meant to touch.
 */
export interface ResettableCursor {
  /** A run already logged that the setting was removed (the cursor was kept). */
  settingRemoved?: true;
}

export type ResetDecision<C> =
  | { reset: true }
  /** Keep `cursor`; `noteRemoval`: the setting was removed and that was not said yet, so log it (once). */
  | { reset: false; cursor: C; noteRemoval: boolean };

/**
 * `stored`: the value the persistence began under (null: the default); `configured`: the value now (null: unset or
 * empty). A kept cursor keeps `stored` to compare with, so setting the same value again is no change.
 */
export function resetDecision<C extends ResettableCursor>(
  cursor: C,
  stored: string | null,
  configured: string | null,
): ResetDecision<C> {
  if (configured !== null && configured !== stored) return { reset: true };
  const { settingRemoved, ...rest } = cursor;
  const removed = configured === null && stored !== null;
  return {
    reset: false,
    cursor: (removed ? { ...rest, settingRemoved: true } : rest) as C,
    noteRemoval: removed && settingRemoved !== true,
  };
}
