import type { ManagementConfig } from '../config/index.ts';
import { DeliveryPipeline, type EventSink, type Progress } from '../pipeline/index.ts';
import { loadFilter, type BlobStore, type RetryEntry, type RetryList } from '../state/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createObfuscator } from '../telemetry/obfuscate.ts';
import type { RunStatistics } from '../telemetry/statistics.ts';
import { blobTrace, checkpointTrace } from '../telemetry/traces.ts';
import type { ManagementClient } from './client.ts';
import { filterBlobName } from './collector.ts';
import { createRecordSink } from './records.ts';
import { countRecords, fetchBlob } from './triage.ts';
import { URI_RETRY_FUNCTION } from '../function-names.ts';

export { URI_RETRY_FUNCTION };

export interface UriRetryRun {
  config: ManagementConfig;
  client: ManagementClient;
  sink: EventSink;
  blobs: BlobStore;
  retries: RetryList;
  logger: Logger;
  stats: RunStatistics;
  deadline: number;
  /** Aborts when the function's lease is lost: nothing more is written. */
  signal?: AbortSignal;
}

/**
 * Works through the content blobs the Management functions could not fetch: each is fetched again until it succeeds
 * or expires. Records are checked against the owning function's filter (read only: that function keeps writing it)
 * and recorded in this function's own filter, so a blob that had failed half-way sends only what was missing.
 * Every entry is tried, whatever happens to the others; an entry leaves the list only after its events were
 * confirmed by Devo, and one that fails again stays with one more attempt counted.
 */
export async function retryFailedContent(run: UriRetryRun): Promise<void> {
  const entries = await run.retries.list();
  if (entries.length === 0) return;
  run.logger.info(`${URI_RETRY_FUNCTION}: ${entries.length} content blob(s) to retry.`);
  const pipeline = new DeliveryPipeline({
    sink: run.sink,
    blobs: run.blobs,
    filter: await loadFilter(run.blobs, filterBlobName(URI_RETRY_FUNCTION), run.config.dedupe, run.logger),
    stats: run.stats,
    ...(run.signal === undefined ? {} : { signal: run.signal }),
    onCheckpoint: (saved) => run.logger.debug(checkpointTrace(URI_RETRY_FUNCTION, saved)),
  });
  const settled: RetryEntry[] = [];
  const failed: RetryEntry[] = [];
  const progress: Progress = () => {
    const failedNow = failed.splice(0);
    const settledNow = settled.splice(0);
    return async () => {
      for (const entry of failedNow) await run.retries.recordFailure(entry, new Date());
      for (const entry of settledNow) await run.retries.remove(entry);
    };
  };
  const counts = { delivered: 0, failed: 0, lost: 0, left: 0 };
  const obfuscate =
    run.config.obfuscation === undefined
      ? undefined
      : createObfuscator(run.config.obfuscation.fields, run.config.obfuscation.key);

  await pipeline.run(async () => {
    for (const [functionName, group] of groupBy(entries, (e) => e.functionName)) {
      const owner = await loadFilter(run.blobs, filterBlobName(functionName), run.config.dedupe, run.logger, {
        readOnly: true,
      });
      const queue = createRecordSink({
        filter: pipeline.filter,
        alsoSeenIn: owner.filter,
        pipeline,
        stats: run.stats,
        obfuscate,
      });
      const onRecord = pipeline.intake(queue);
      for (const entry of group) {
        if (Date.now() >= run.deadline) {
          counts.left += 1;
          continue;
        }
        const tag = `${URI_RETRY_FUNCTION}: content ${entry.contentId} of ${entry.functionName}`;
        const counted = countRecords(entry.contentId, onRecord);
        const outcome = await fetchBlob(run.client, entry, counted.onRecord, pipeline);
        if (outcome.kind === 'stop') throw outcome.error;
        if (outcome.kind === 'unfinished') counts.left += 1;
        if (outcome.kind === 'done') {
          run.stats.blobsFetched += 1;
          run.stats.blobsRetried += 1;
          counts.delivered += 1;
          run.logger.debug(blobTrace(URI_RETRY_FUNCTION, counted.counts));
          settled.push(entry);
        }
        if (outcome.kind === 'lost') {
          run.stats.blobsLost += 1;
          counts.lost += 1;
          run.logger.error(
            `${tag} is lost after ${entry.attempts} failed attempt(s): ${outcome.why} (last error: ${entry.lastError}).`,
          );
          settled.push(entry);
        }
        if (outcome.kind === 'retry-list') {
          run.stats.blobsFailed += 1;
          counts.failed += 1;
          run.logger.warn(`${tag} failed again (${outcome.error}); it stays on the retry list.`);
          failed.push({ ...entry, lastError: outcome.error });
        }
      }
    }
  }, progress);
  run.logger.info(
    `${URI_RETRY_FUNCTION}: ${counts.delivered} delivered, ${counts.failed} failed again, ${counts.lost} lost, ` +
      `${counts.left} left for the next run.`,
  );
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
