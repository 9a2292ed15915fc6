import type { DedupeSettings } from '../config/index.ts';
import { DedupeFilter, isDedupeError } from '../dedupe/index.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { BlobStore } from './blob-store.ts';

/** A dedupe filter with the blob revision it was loaded from, for a conditional save. */
export interface PersistedFilter {
  readonly name: string;
  filter: DedupeFilter;
  etag: string | undefined;
}

/**
 * Loads a function's filter. A missing blob is a first run; an unreadable one (damaged, or saved under other
 * BLOOM_FILTER_* settings) is replaced by a fresh filter with a warning, never a crash loop. The old revision's ETag
 * is kept so the fresh filter still replaces it conditionally.
 */
export async function loadFilter(
  store: BlobStore,
  name: string,
  settings: DedupeSettings,
  logger: Logger,
): Promise<PersistedFilter> {
  const blob = await store.load(name);
  if (blob === undefined) return { name, filter: DedupeFilter.create(settings), etag: undefined };
  try {
    return { name, filter: DedupeFilter.deserialize(blob.data, settings), etag: blob.etag };
  } catch (err) {
    if (!isDedupeError(err)) throw err;
    logger.warn(
      `Dedupe state ${name} could not be used (${err.code}: ${err.message}); starting a fresh filter. ` +
        'Records already sent may be sent once more.',
    );
    return { name, filter: DedupeFilter.create(settings), etag: blob.etag };
  }
}

/**
 * Saves the filter if anything was added since it was loaded or last saved; a concurrent writer fails loudly.
 * Returns the bytes written: 0 when nothing changed.
 */
export async function saveFilter(store: BlobStore, persisted: PersistedFilter): Promise<number> {
  if (!persisted.filter.changed) return 0;
  const data = persisted.filter.serialize();
  persisted.etag = await store.save(persisted.name, data, persisted.etag);
  return data.reduce((sum, part) => sum + part.byteLength, 0);
}
