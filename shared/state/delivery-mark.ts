import type { CursorStore } from './cursor-store.ts';

const VERSION = 1;

interface StoredMark {
  /** Newest event time (ms since epoch) Devo confirmed for the function, over all its runs. */
  newestConfirmed: number;
}

/**
 * The newest event time Devo ever confirmed for one function, kept beside its cursor. A run that confirms nothing (Devo
 * down, or every delivery failing) still knows how far behind delivery is, so the lag it reports keeps growing
 * instead of going quiet.
 */
export interface DeliveryMark {
  /** The stored time, if any; a missing or unreadable mark is no mark (the lag is then measured another way). */
  readonly newestConfirmed: number | undefined;
  /** Stores `time` when it is newer than the stored one; returns the newest of the two. */
  advance(time: number | undefined): Promise<number | undefined>;
}

export const deliveryMarkName = (functionName: string): string => `${functionName}-delivery`;

export async function loadDeliveryMark(cursors: CursorStore, functionName: string): Promise<DeliveryMark> {
  const name = deliveryMarkName(functionName);
  const stored = await cursors.load<StoredMark>(name, { currentVersion: VERSION });
  const valid = stored !== undefined && Number.isFinite(stored.value.newestConfirmed);
  let etag = stored?.etag;
  let newest = valid ? stored.value.newestConfirmed : undefined;
  return {
    get newestConfirmed() {
      return newest;
    },
    async advance(time) {
      if (time === undefined || !(time > (newest ?? -Infinity))) return newest;
      etag = await cursors.save<StoredMark>(name, { newestConfirmed: time }, etag, VERSION);
      newest = time;
      return newest;
    },
  };
}
