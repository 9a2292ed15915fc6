import type { TableClient } from '@azure/data-tables';
import { isRecordNotFound } from './errors.ts';

/** A content blob that failed after all retries, kept so `uriRetry` can fetch it later and the cursor can move on. */
export interface RetryEntry {
  functionName: string;
  contentType: string;
  contentId: string;
  contentUri: string;
  contentCreated: string;
  contentExpiration: string;
  attempts: number;
  firstFailedAt: string;
  lastError: string;
}

export interface RetryList {
  /** Records a failure: a new entry, or one more attempt on an existing one. */
  recordFailure(entry: Omit<RetryEntry, 'attempts' | 'firstFailedAt'>, now: Date): Promise<void>;
  /** Every entry, oldest content first. */
  list(): Promise<RetryEntry[]>;
  remove(entry: Pick<RetryEntry, 'contentType' | 'contentId'>): Promise<void>;
  /** Drops the entries of one function (a persistence reset). */
  clear(functionName: string): Promise<number>;
}

const PARTITION = 'retry';

/** Row keys may not hold `/ \ # ?` or control characters. */
export function retryRowKey(contentType: string, contentId: string): string {
  const safe = [...`${contentType}__${contentId}`].map((c) =>
    /[/\\#?]/.test(c) || c.charCodeAt(0) < 32 || (c.charCodeAt(0) >= 127 && c.charCodeAt(0) < 160) ? '_' : c,
  );
  return safe.join('').slice(0, 1000);
}

export function createRetryList(table: TableClient): RetryList {
  const key = (e: Pick<RetryEntry, 'contentType' | 'contentId'>) => ({
    partitionKey: PARTITION,
    rowKey: retryRowKey(e.contentType, e.contentId),
  });

  async function list(): Promise<RetryEntry[]> {
    const entries: RetryEntry[] = [];
    for await (const e of table.listEntities<RetryEntry>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
    })) {
      entries.push({
        functionName: e.functionName,
        contentType: e.contentType,
        contentId: e.contentId,
        contentUri: e.contentUri,
        contentCreated: e.contentCreated,
        contentExpiration: e.contentExpiration,
        attempts: e.attempts,
        firstFailedAt: e.firstFailedAt,
        lastError: e.lastError,
      });
    }
    return entries.sort((a, b) => a.contentCreated.localeCompare(b.contentCreated));
  }

  return {
    async recordFailure(entry, now) {
      let previous: RetryEntry | undefined;
      try {
        previous = await table.getEntity<RetryEntry>(PARTITION, key(entry).rowKey);
      } catch (err) {
        if (!isRecordNotFound(err)) throw err;
      }
      // Upsert: two invocations recording the same failure converge on one entry; the count is advisory.
      await table.upsertEntity(
        {
          ...key(entry),
          ...entry,
          lastError: entry.lastError.slice(0, 1000),
          attempts: (previous?.attempts ?? 0) + 1,
          firstFailedAt: previous?.firstFailedAt ?? now.toISOString(),
        },
        'Replace',
      );
    },
    list,
    async remove(entry) {
      try {
        await table.deleteEntity(PARTITION, key(entry).rowKey);
      } catch (err) {
        if (!isRecordNotFound(err)) throw err;
      }
    },
    async clear(functionName) {
      const mine = (await list()).filter((e) => e.functionName === functionName);
      for (const e of mine) await this.remove(e);
      return mine.length;
    },
  };
}
