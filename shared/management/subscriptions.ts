import type { Logger } from '../telemetry/logger.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import type { ManagementClient } from './client.ts';
import { sameContentType, type ManagementFunction } from './content-types.ts';
import type { ManagementCursor } from './cursor.ts';

/** Microsoft refuses a second start request for a content type within 15 minutes. */
export const START_INTERVAL_MS = 15 * 60_000;

interface SubscriptionRun {
  fn: ManagementFunction;
  client: ManagementClient;
  logger: Logger;
  stats: RunStatistics;
}

/**
 * Makes sure the function's subscription is enabled: list first, start only a missing or disabled one, at most once
 * per 15 minutes (the time of the last request is kept in the cursor). Returns false when this run should not list
 * content: a start is due but not yet allowed.
 */
export async function ensureSubscription(
  run: SubscriptionRun,
  state: { cursor: ManagementCursor },
  now: Date,
): Promise<boolean> {
  const subscriptions = await run.client.listSubscriptions();
  const mine = subscriptions.find((s) => sameContentType(s.contentType, run.fn.contentType));
  if (mine?.status.toLowerCase() === 'enabled') return true;

  const last = state.cursor.lastStartRequest === null ? 0 : Date.parse(state.cursor.lastStartRequest);
  if (now.getTime() - last < START_INTERVAL_MS) {
    run.logger.info(
      `${run.fn.functionName}: subscription ${run.fn.contentType} is ${mine?.status ?? 'missing'}; the next start request is allowed at ${new Date(last + START_INTERVAL_MS).toISOString()}.`,
    );
    return false;
  }
  state.cursor = { ...state.cursor, lastStartRequest: now.toISOString() };
  const result = await run.client.startSubscription(run.fn.contentType);
  run.logger.info(
    result === 'started'
      ? `${run.fn.functionName}: started subscription ${run.fn.contentType}; Microsoft may take up to 12 hours to publish its first content.`
      : `${run.fn.functionName}: subscription ${run.fn.contentType} was already enabled.`,
  );
  return true;
}
