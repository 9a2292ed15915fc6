/**
 * Names of the timer functions that are not one per Management content type. Kept apart from their collectors so
 * the functions entry point can register every timer without importing the collectors (see shared/timers.ts).
 */
export const URI_RETRY_FUNCTION = 'uriRetry';
export const MESSAGE_TRACE_FUNCTION = 'messageTrace';
