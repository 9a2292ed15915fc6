import type { DevoSender } from './sender.ts';

/** What a collector needs from a sender; the DevoSender satisfies it. */
export type EventSink = Pick<DevoSender, 'send' | 'ready' | 'flush'>;

/**
 * Events held back until the next checkpoint. Writing nothing to Devo before a checkpoint means an invocation killed
 * while fetching leaves nothing half-delivered behind: the rerun sends those events once. Only a kill during the
 * checkpoint itself (deliver, then save state) can make Devo see a few events twice, never miss one.
 */
export class Outbox {
  #tags: string[] = [];
  #messages: string[] = [];
  #bytes = 0;

  add(tag: string, message: string): void {
    this.#tags.push(tag);
    this.#messages.push(message);
    this.#bytes += message.length + tag.length;
  }

  /** Approximate size in characters, to decide when to checkpoint. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#messages.length;
  }

  /** Hands every held event to the sender and resolves once Devo confirmed them all. */
  async deliver(sink: EventSink): Promise<number> {
    const tags = this.#tags;
    const messages = this.#messages;
    this.#tags = [];
    this.#messages = [];
    this.#bytes = 0;
    for (let i = 0; i < messages.length; i += 1) {
      if (!sink.send(tags[i] as string, messages[i] as string)) await sink.ready();
    }
    await sink.flush();
    return messages.length;
  }
}

/**
 * Keeps the outbox bounded inside a large unit of work (a blob, a window): when it fills up, `spill` delivers its
 * events and saves the filter, but not the cursor, which cannot move past work still being read; a rerun reads it
 * again and the saved filter drops what was delivered. Meanwhile every reader pauses at its next record, so the
 * filter does not change during its upload.
 */
export function spillingSink<T>(
  queue: (item: T) => void,
  outbox: Outbox,
  limitBytes: number,
  spill: () => Promise<void>,
): (item: T) => Promise<void> {
  let spilling: Promise<void> | undefined;
  // Once a spill failed, nothing else may be queued or spilled in this run: a later spill would save a filter that
  // marks records of the failed delivery as seen.
  let failed: { error: unknown } | undefined;
  return async (item) => {
    while (spilling !== undefined) await spilling;
    if (failed !== undefined) throw failed.error;
    queue(item);
    if (outbox.bytes >= limitBytes) {
      spilling = spill()
        .catch((error: unknown) => {
          failed ??= { error };
          throw error;
        })
        .finally(() => {
          spilling = undefined;
        });
      await spilling;
    }
  };
}
