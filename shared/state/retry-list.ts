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

/**
 * Row keys may not hold `/ \ # ?` or control characters, so those (and `%`, the escape itself) are percent-encoded:
 * the encoding is reversible, so two content IDs never share a row. Content IDs are short (about 100 characters);
 * the 1 KiB key limit is far away.
 */
export function retryRowKey(contentType: string, contentId: string): string {
  return `${encodeKeyPart(contentType)}__${encodeKeyPart(contentId)}`;
}

/** Percent-encodes exactly the characters a Table key refuses, and `%`. */
export function encodeKeyPart(text: string): string {
  let out = '';
  for (const c of text) out += refusedInKey(c) || c === '%' ? `%${hex(c)}` : c;
  return out;
}

/** `/ \ # ?`, C0 and C1 control characters: what Table storage refuses in a key. */
export function refusedInKey(c: string): boolean {
  const code = c.charCodeAt(0);
  return '/\\#?'.includes(c) || code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

const hex = (c: string): string => c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');

/** The inverse of `encodeKeyPart`. */
export function decodeKeyPart(text: string): string {
  return text.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function createRetryList(table: TableClient): RetryList {
  const key = (e: Pick<RetryEntry, 'contentType' | 'contentId'>) => ({
    partitionKey: PARTITION,
    rowKey: retryRowKey(e.contentType, e.contentId),
  });

  async function list(): Promise<RetryEntry[]> {
    const entries: RetryEntry[] = [];
    for await (const e of table.listEntities<RetryEntry & { rowKey: string }>({
      queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
    })) {
      const entry: RetryEntry = {
        functionName: e.functionName,
        contentType: e.contentType,
        contentId: e.contentId,
        contentUri: e.contentUri,
        contentCreated: e.contentCreated,
        contentExpiration: e.contentExpiration,
        attempts: e.attempts,
        firstFailedAt: e.firstFailedAt,
        lastError: e.lastError,
      };
      if (e.rowKey !== key(entry).rowKey) await moveToCurrentKey(e.rowKey, entry);
      entries.push(entry);
    }
    return entries.sort((a, b) => a.contentCreated.localeCompare(b.contentCreated));
  }

  /** Rows written under the earlier, lossy key (`_` for each refused character) move to the reversible one. */
  async function moveToCurrentKey(oldRowKey: string, entry: RetryEntry): Promise<void> {
    await table.upsertEntity({ ...key(entry), ...entry }, 'Replace');
    try {
      await table.deleteEntity(PARTITION, oldRowKey);
    } catch (err) {
      if (!isRecordNotFound(err)) throw err;
    }
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
