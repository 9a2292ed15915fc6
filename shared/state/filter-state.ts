import type { DedupeSettings } from '../config/index.ts';
import { DedupeFilter, isDedupeError } from '../dedupe/index.ts';
import {
  decodeSealed,
  journalBlobName,
  previousBlobName,
  sealedCurrent,
  stateVersion,
  storedPrevious,
  type GenerationRecord,
  type SealedHeader,
} from '../dedupe/state.ts';
import { upgradeV1 } from '../dedupe/state-v1.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { BlobStore } from './blob-store.ts';
import { forgetWarm, takeWarm } from './filter-cache.ts';

/**
 * A function's dedupe filter and where its stored state stands. The state is a sealed blob (`name`: the current
 * generation, written at compaction), the previous generation's own blob (written once, when it filled) and an
 * append-only journal of the digests added since the seal. A checkpoint appends only what was added; loading is the
 * seal plus a replay of its journal.
 */
export interface PersistedFilter {
  readonly name: string;
  /** The BLOOM_FILTER_* settings it was loaded under. */
  readonly settings: DedupeSettings;
  filter: DedupeFilter;
  /** Revision of the sealed blob as read or last written; undefined while none exists. */
  sealedEtag: string | undefined;
  /** Seal number: names the journal that belongs to the seal. */
  epoch: number;
  /** Bytes in this epoch's journal. */
  journalBytes: number;
  /** Current generation number when last sealed: a newer one means the filter filled up since. */
  sealedGeneration: number;
  /** The previous generation as its blob holds it, if any. */
  previousStored: GenerationRecord | undefined;
  /** Set for a fresh, upgraded, carried-over or repaired state: the next checkpoint seals instead of appending. */
  needsSeal: boolean;
  /** Another function's filter, read to check records against: never written. */
  readOnly: boolean;
}

export interface LoadOptions {
  /** Load another function's filter only to read it: never cached, never written. */
  readOnly?: boolean;
}

/**
 * Loads a function's filter: from memory when a warm instance still holds it and the stored state did not change,
 * else from storage. A missing state is a first run; an unreadable one is replaced by a fresh filter with a warning,
 * never a crash loop (the old revision's ETag is kept so the fresh filter still replaces it conditionally).
 */
export async function loadFilter(
  store: BlobStore,
  name: string,
  settings: DedupeSettings,
  logger: Logger,
  options: LoadOptions = {},
): Promise<PersistedFilter> {
  const readOnly = options.readOnly === true;
  if (!readOnly) {
    const warm = await takeWarm(store, name, settings);
    if (warm !== undefined) return warm;
  }
  const blob = await store.load(name);
  const fresh = (etag: string | undefined): PersistedFilter => ({
    ...blank(name, settings, readOnly),
    filter: DedupeFilter.create(settings),
    sealedEtag: etag,
  });
  if (blob === undefined) return fresh(undefined);
  try {
    const version = stateVersion(blob.data);
    if (version === 1) {
      const { filter, carriedOver } = DedupeFilter.fromParts(settings, upgradeV1(blob.data));
      logger.info(`Dedupe state ${name}: upgraded to the journaled format${carriedOverText(carriedOver)}.`);
      return { ...blank(name, settings, readOnly), filter, sealedEtag: blob.etag };
    }
    return await loadSealed(store, name, decodeSealed(blob.data), blob, settings, logger, readOnly);
  } catch (err) {
    if (!isDedupeError(err)) throw err;
    logger.warn(
      `Dedupe state ${name} could not be used (${err.code}: ${err.message}); starting a fresh filter. ` +
        'Records already sent may be sent once more.',
    );
    return fresh(blob.etag);
  }
}

function blank(
  name: string,
  settings: DedupeSettings,
  readOnly: boolean,
): Omit<PersistedFilter, 'filter' | 'sealedEtag'> {
  return {
    name,
    settings,
    epoch: 0,
    journalBytes: 0,
    sealedGeneration: -1,
    previousStored: undefined,
    needsSeal: true,
    readOnly,
  };
}

const carriedOverText = (carriedOver: boolean): string =>
  carriedOver ? '; BLOOM_FILTER_* changed, so its records are kept as the previous generation' : '';

async function loadSealed(
  store: BlobStore,
  name: string,
  header: SealedHeader,
  blob: { data: Buffer; etag: string },
  settings: DedupeSettings,
  logger: Logger,
  readOnly: boolean,
): Promise<PersistedFilter> {
  const current = sealedCurrent(header, blob.data);
  let previous;
  let repaired = false;
  if (header.previous !== undefined) {
    const stored = await store.load(previousBlobName(name, header.seed, header.previous.number));
    try {
      if (stored === undefined) throw new Error('its blob is missing');
      previous = storedPrevious(header.previous, stored.data);
    } catch (err) {
      logger.warn(
        `Dedupe state ${name}: the previous generation could not be read (${(err as Error).message}); ` +
          'records only it knew may be sent once more.',
      );
      repaired = true;
    }
  }
  const { filter, carriedOver } = DedupeFilter.fromParts(settings, { seed: header.seed, current, previous });
  if (carriedOver) logger.info(`Dedupe state ${name}: ${carriedOverText(true).slice(2)}.`);
  const persisted: PersistedFilter = {
    name,
    settings,
    filter,
    sealedEtag: blob.etag,
    epoch: header.epoch,
    journalBytes: 0,
    sealedGeneration: header.current.number,
    previousStored: previous === undefined ? undefined : header.previous,
    needsSeal: carriedOver || repaired,
    readOnly,
  };
  const journal = await store.load(journalBlobName(name, header.seed, header.epoch));
  if (journal !== undefined) replayJournal(persisted, journal.data, logger);
  return persisted;
}

/** Replays journaled digests; a torn tail (never written by this code) is dropped and the state resealed. */
export function replayJournal(persisted: PersistedFilter, data: Uint8Array, logger: Logger): void {
  const whole = data.byteLength - (data.byteLength % 16);
  if (whole !== data.byteLength) {
    logger.warn(`Dedupe state ${persisted.name}: its journal ends in a partial digest; it is sealed again.`);
    persisted.needsSeal = true;
  }
  persisted.filter.replay(data.subarray(0, whole));
  persisted.journalBytes += data.byteLength;
}

/** Deletes a function's whole dedupe state (a reset): the seal, its generations and journals. */
export async function removeFilter(store: BlobStore, name: string): Promise<void> {
  forgetWarm(store, name);
  await store.remove(name);
  for (const blob of await store.list(`${name}.`)) await store.remove(blob);
}
