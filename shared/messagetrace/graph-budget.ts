import { createWindowLimiter, type HttpBudget, type WindowLimiter } from '../http/index.ts';
import { loadRequestLog, type CursorStore } from '../state/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import { MESSAGE_TRACE_FUNCTION } from '../function-names.ts';

/** Graph counts message trace requests per tenant over a rolling five minutes. */
export const GRAPH_BUDGET_WINDOW_MS = 300_000;
/** A wait for room in the budget is logged at most this often, so a long catch-up held by it says so without flooding. */
const WAIT_LOG_INTERVAL_MS = 60_000;

export interface GraphBudget {
  limiter: WindowLimiter;
  /** Waits for the last save of the send times. */
  close(): Promise<void>;
}

/**
 * The Graph request budget of one invocation, continued from the send times earlier invocations stored: at most
 * `limit` requests in any five minutes, across runs. Each send time is saved as it is taken, so even a run killed
 * mid-way leaves the next one its spent budget (all but the requests whose save was still in flight).
 */
export async function openGraphBudget(options: {
  cursors: CursorStore;
  limit: number;
  budget: HttpBudget;
  logger: Logger;
  now?: () => number;
}): Promise<GraphBudget> {
  const { logger } = options;
  let warned = false;
  const log = await loadRequestLog(options.cursors, MESSAGE_TRACE_FUNCTION, (err) => {
    if (warned) return;
    warned = true;
    logger.warn(
      `${MESSAGE_TRACE_FUNCTION}: the Graph request times could not be read or saved (${String(err)}); the next run may not know this run's share of the budget.`,
    );
  });
  let waitLoggedAt = -Infinity;
  const limiter = createWindowLimiter({
    limit: options.limit,
    windowMs: GRAPH_BUDGET_WINDOW_MS,
    history: log.sent,
    deadline: options.budget.deadline,
    ...(options.budget.signal === undefined ? {} : { signal: options.budget.signal }),
    ...(options.now === undefined ? {} : { now: options.now }),
    onSent: (sent) => log.record(sent),
    onWait: (waitMs) => {
      const at = Date.now();
      if (at - waitLoggedAt < WAIT_LOG_INTERVAL_MS) return;
      waitLoggedAt = at;
      logger.info(
        `${MESSAGE_TRACE_FUNCTION}: the Graph budget of ${options.limit} requests in any 5 minutes (MESSAGE_TRACE_REQUESTS_PER_5_MINUTES) is spent; waiting ${Math.ceil(waitMs / 1000)} s for room.`,
      );
    },
  });
  return { limiter, close: () => log.flush() };
}
