import { FramedLines, type FramedBatch, type LineFramer } from '../devo/framed-lines.ts';
import type { DevoSender, FlushOptions } from '../devo/sender.ts';

/** What a collector needs from a sender; the DevoSender satisfies it. */
export type EventSink = Pick<DevoSender, 'prefix' | 'chunkBytes' | 'maxEventBytes' | 'sendFramed' | 'flush'>;

/**
 * Events held back until the next delivery, already framed as Devo lines. Writing nothing to Devo before a delivery
 * means an invocation killed while fetching leaves nothing half-delivered behind: the rerun sends those events once.
 * Only a kill during a delivery itself (send, confirm, then save state) can make Devo see a few events twice, never
 * miss one.
 */
export class Outbox {
  readonly #framer: LineFramer;
  #lines: FramedLines;
  /** The last tag and its prefix: runs of events mostly share one. */
  #tag = '';
  #prefix: Buffer = Buffer.alloc(0);

  /** `keepBytes`: how much of confirmed batches' chunk buffers to keep for framing new events into. */
  constructor(framer: LineFramer, keepBytes = 0) {
    this.#framer = framer;
    this.#lines = new FramedLines(framer.chunkBytes, framer.maxEventBytes, keepBytes);
  }

  /** Queues one event: a record's UTF-8 bytes as received, or text. */
  add(tag: string, message: string | Uint8Array): void {
    if (tag !== this.#tag) {
      this.#prefix = this.#framer.prefix(tag);
      this.#tag = tag;
    }
    this.#lines.append(tag, this.#prefix, message);
  }

  /** Bytes of the framed lines waiting, to decide when to deliver. */
  get bytes(): number {
    return this.#lines.bytes;
  }

  get size(): number {
    return this.#lines.lines;
  }

  /** Takes every held event, as one batch to deliver, and starts empty again. */
  take(): Batch {
    return this.#lines.take();
  }

  /** Takes back a batch Devo confirmed (nothing else may still read it), to reuse its buffers. */
  recycle(batch: Batch): void {
    this.#lines.recycle(batch);
  }
}

/** Events taken from the outbox together, delivered together. */
export type Batch = FramedBatch;

/**
 * Hands a batch to the sender and resolves once Devo confirmed it all, with the sender's flush options: `more` tells,
 * once the batch is written, whether events are queued behind it (the sender then opens the next connection while
 * this one is confirmed), and `onWritten` is called once the batch is written, before it is confirmed.
 */
export async function deliverBatch(batch: Batch, sink: EventSink, options: FlushOptions = {}): Promise<number> {
  sink.sendFramed(batch);
  await sink.flush(options);
  return batch.lines;
}
