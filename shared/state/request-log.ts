import type { CursorStore } from './cursor-store.ts';

const VERSION = 1;

interface StoredLog {
  /** Send times (ms since epoch) of the requests still inside the budget's window, oldest first. */
  sent: number[];
}

/**
 * The send times of a function's requests against an API that counts them per rolling window, kept beside its
 * cursor so that back-to-back invocations share one budget instead of each starting with a full one. Saving never
 * blocks a request: a save is queued behind the one in flight, and only the newest times are written.
 */
export interface RequestLog {
  /** The stored times; empty when none are stored or they cannot be read. */
  readonly sent: readonly number[];
  /** Queues a save of `sent` (the latest call wins); errors are reported through `onError`, never thrown. */
  record(sent: readonly number[]): void;
  /** Waits for the queued save, if any. */
  flush(): Promise<void>;
}

export const requestLogName = (functionName: string): string => `${functionName}-requests`;

export async function loadRequestLog(
  cursors: CursorStore,
  functionName: string,
  onError: (err: unknown) => void,
): Promise<RequestLog> {
  const name = requestLogName(functionName);
  const stored = await cursors.load<StoredLog>(name, { currentVersion: VERSION }).catch((err: unknown) => {
    onError(err);
    return undefined;
  });
  const sent = Array.isArray(stored?.value.sent) ? stored.value.sent.filter((t) => Number.isFinite(t)) : [];
  let etag = stored?.etag;
  let next: readonly number[] | undefined;
  let saving: Promise<void> = Promise.resolve();
  let queued = false;

  const save = async (): Promise<void> => {
    queued = false;
    const value = next;
    if (value === undefined) return;
    try {
      etag = await cursors.save<StoredLog>(name, { sent: [...value] }, etag, VERSION);
    } catch (err) {
      onError(err);
    }
  };

  return {
    sent,
    record(times) {
      next = times;
      if (queued) return;
      queued = true;
      saving = saving.then(save);
    },
    flush: () => saving,
  };
}
