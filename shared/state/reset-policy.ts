/**
 * When a setting that restarts collection (`MANAGEMENT_START_TIME`, `MESSAGE_TRACE_RESET`) resets a function's
 * persistence. Only a new, non-empty value does: `azd provision` rewrites every app setting, and a setting that goes
 * missing on the way must not wipe a cursor nobody meant to touch.
 */
export interface ResetDecision {
  reset: boolean;
  /** The setting was removed and that was not said yet: log it once, and keep the stored value to compare with. */
  noteRemoval: boolean;
}

/**
 * `stored`: the value the persistence began under (null: the default); `configured`: the value now (null: unset or
 * empty); `removalNoted`: a previous run already said that the setting was removed.
 */
export function resetDecision(stored: string | null, configured: string | null, removalNoted: boolean): ResetDecision {
  if (configured === null) return { reset: false, noteRemoval: stored !== null && !removalNoted };
  return { reset: configured !== stored, noteRemoval: false };
}
