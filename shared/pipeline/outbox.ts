import type { DevoSender } from '../devo/sender.ts';

/** What a collector needs from a sender; the DevoSender satisfies it. */
export type EventSink = Pick<DevoSender, 'send' | 'ready' | 'flush'>;

/**
 * Events held back until the next delivery. Writing nothing to Devo before a delivery means an invocation killed
 * while fetching leaves nothing half-delivered behind: the rerun sends those events once. Only a kill during a
 * delivery itself (send, confirm, then save state) can make Devo see a few events twice, never miss one.
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

  /** Approximate size in characters, to decide when to deliver. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#messages.length;
  }

  /** Takes every held event, as one batch to deliver, and starts empty again. */
  take(): Batch {
    const batch = { tags: this.#tags, messages: this.#messages, size: this.#messages.length };
    this.#tags = [];
    this.#messages = [];
    this.#bytes = 0;
    return batch;
  }
}

/** Events taken from the outbox together, delivered together. */
export interface Batch {
  readonly tags: readonly string[];
  readonly messages: readonly string[];
  readonly size: number;
}

/** Hands a batch to the sender and resolves once Devo confirmed it all. */
export async function deliverBatch(batch: Batch, sink: EventSink): Promise<number> {
  for (let i = 0; i < batch.size; i += 1) {
    if (!sink.send(batch.tags[i] as string, batch.messages[i] as string)) await sink.ready();
  }
  await sink.flush();
  return batch.size;
}
