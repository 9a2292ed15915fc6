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
