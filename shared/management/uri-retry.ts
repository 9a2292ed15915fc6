import { Outbox, spillingSink, type EventSink } from '../devo/outbox.ts';
import { loadFilter, saveFilter, type BlobStore, type RetryEntry, type RetryList } from '../state/index.ts';
import type { ManagementConfig } from '../config/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createObfuscator } from '../telemetry/obfuscate.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import { isManagementApiError, type ManagementClient } from './client.ts';
import { CHECKPOINT_BYTES, filterBlobName } from './collector.ts';
import { createRecordSink, isRecordRejected } from './records.ts';

export const URI_RETRY_FUNCTION = 'uriRetry';

export interface UriRetryRun {
  config: ManagementConfig;
  client: ManagementClient;
  sink: EventSink;
  blobs: BlobStore;
  retries: RetryList;
  logger: Logger;
  stats: RunStatistics;
  deadline: number;
}

/**
 * Works through the content blobs the Management functions could not fetch: each is fetched again until it succeeds
 * or expires. Records are checked against the owning function's filter (read only: that function keeps writing it)
 * and recorded in this function's own filter, so a blob that had failed half-way sends only what was missing.
 * An entry leaves the list only after its events were confirmed by Devo.
 */
export async function retryFailedContent(run: UriRetryRun): Promise<void> {
  const entries = await run.retries.list();
  if (entries.length === 0) return;
  run.logger.info(`${URI_RETRY_FUNCTION}: ${entries.length} content blob(s) to retry.`);
  const own = await loadFilter(run.blobs, filterBlobName(URI_RETRY_FUNCTION), run.config.dedupe, run.logger);
  const outbox = new Outbox();
  const obfuscate =
    run.config.obfuscation === undefined
      ? undefined
      : createObfuscator(run.config.obfuscation.fields, run.config.obfuscation.key);
  const delivered: RetryEntry[] = [];
  const deliver = async (): Promise<void> => {
    run.stats.eventsSent += await outbox.deliver(run.sink);
    await saveFilter(run.blobs, own);
  };

  for (const [functionName, group] of groupBy(entries, (e) => e.functionName)) {
    const owner = await loadFilter(run.blobs, filterBlobName(functionName), run.config.dedupe, run.logger);
    const queue = createRecordSink({
      filter: own.filter,
      alsoSeenIn: owner.filter,
      outbox,
      stats: run.stats,
      obfuscate,
    });
    const onRecord = spillingSink(queue, outbox, CHECKPOINT_BYTES, deliver);
    for (const entry of group) {
      if (Date.now() >= run.deadline) break;
      if (await retryOne(run, entry, onRecord)) delivered.push(entry);
    }
  }
  await deliver();
  for (const entry of delivered) await run.retries.remove(entry);
}

/** True when the entry is settled: fetched, or expired (then it is logged as lost). */
async function retryOne(
  run: UriRetryRun,
  entry: RetryEntry,
  onRecord: (raw: string) => Promise<void>,
): Promise<boolean> {
  const tag = `${URI_RETRY_FUNCTION}: content ${entry.contentId} of ${entry.functionName}`;
  if (Date.parse(entry.contentExpiration) <= Date.now()) {
    run.stats.blobsLost += 1;
    run.logger.error(
      `${tag} expired after ${entry.attempts} failed attempt(s) and is lost (last error: ${entry.lastError}).`,
    );
    return true;
  }
  try {
    await run.client.fetchContent(entry, onRecord);
    run.stats.blobsFetched += 1;
    run.stats.blobsRetried += 1;
    return true;
  } catch (err) {
    const rejected = isRecordRejected(err);
    if (!rejected && (!isManagementApiError(err) || err.action === 'fatal')) throw err;
    if (!rejected && err.action === 'content-gone') {
      run.stats.blobsLost += 1;
      run.logger.error(`${tag} is lost: ${err.message}.`);
      return true;
    }
    run.stats.blobsFailed += 1;
    run.logger.warn(`${tag} failed again (${(err as Error).message}); it stays on the retry list.`);
    await run.retries.recordFailure({ ...entry, lastError: (err as Error).message }, new Date());
    return false;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
