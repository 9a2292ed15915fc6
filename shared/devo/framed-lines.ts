import { capEvent, messageBudget } from './event-cap.ts';
import { escapeLineBreaks, hasLineBreak } from './framing.ts';
import type { Chunk } from './retained.ts';
import type { DevoTagStats } from './stats.ts';

const LF = 0x0a;
const CR = 0x0d;

/** What framing a line needs from the sender: the cached `<PRI>DATE HOST TAG: ` prefix, and the wire chunk size. */
export interface LineFramer {
  /** The framed prefix of a tag's lines; throws `DEVO_TAG_INVALID` for a tag Devo would not accept. */
  prefix(tag: string): Buffer;
  /** Lines are packed into chunks of about this many bytes (the sender's plain chunk or gzip member size). */
  readonly chunkBytes: number;
  /** Longest line, LF included: a longer event is cut to fit, with a marker (see event-cap.ts). */
  readonly maxEventBytes: number;
}

/** Lines framed together, handed to the sender in one call. */
export interface FramedBatch {
  readonly chunks: readonly Chunk[];
  /** Events and bytes per tag, for the sender's statistics. */
  readonly tags: ReadonlyMap<string, DevoTagStats>;
  readonly lines: number;
  readonly bytes: number;
  /** Events cut to `maxEventBytes`. */
  readonly truncated: number;
}

/**
 * Syslog lines framed for the wire as events are queued: each line is copied once, straight from the record's bytes
 * (or its text) into chunks of about `chunkBytes`, never split across two. The chunks go to the sender as they are,
 * so an event costs one copy and no object of its own while it waits — at tens of thousands of events a second,
 * one string per waiting event was most of the garbage collector's work.
 */
export class FramedLines {
  readonly #chunkBytes: number;
  readonly #maxEventBytes: number;
  #chunks: Chunk[] = [];
  #buf: Buffer | undefined;
  #off = 0;
  #chunkLines = 0;
  #lines = 0;
  #bytes = 0;
  #truncated = 0;
  #tags = new Map<string, DevoTagStats>();
  /** Chunk buffers whose lines Devo confirmed, to frame new lines into (see `recycle`). */
  #spare: Buffer[] = [];
  readonly #maxSpare: number;

  /** `keepBytes`: at most this much of confirmed chunks is kept for reuse. */
  constructor(chunkBytes: number, maxEventBytes: number, keepBytes = 0) {
    this.#chunkBytes = chunkBytes;
    this.#maxEventBytes = maxEventBytes;
    this.#maxSpare = Math.floor(keepBytes / chunkBytes);
  }

  /**
   * Takes back the chunks of a batch Devo confirmed, for new lines to be framed into. Only for a batch nothing refers
   * to any more (the sender drops what it confirmed): reusing its buffers saves allocating, and later collecting, as
   * many bytes again as every event sent — at tens of MB a second, what drove most of the collector's garbage
   * collections.
   */
  recycle(batch: FramedBatch): void {
    for (const chunk of batch.chunks) {
      if (this.#spare.length >= this.#maxSpare) return;
      const whole = chunk.data.buffer;
      if (chunk.data.byteOffset === 0 && whole.byteLength === this.#chunkBytes && whole instanceof ArrayBuffer)
        this.#spare.push(Buffer.from(whole));
    }
  }

  /** Bytes framed so far. */
  get bytes(): number {
    return this.#bytes;
  }

  get lines(): number {
    return this.#lines;
  }

  /**
   * Appends `prefix + message + LF`. Bytes must be UTF-8; raw CR or LF in the message are written as `\r` and `\n`
   * so that one event stays one line, and a line longer than `maxEventBytes` is cut to fit. Returns its size in bytes.
   */
  append(tag: string, prefix: Buffer, message: string | Uint8Array): number {
    let body = message;
    if (typeof body === 'string') {
      if (hasLineBreak(body)) body = escapeLineBreaks(body);
    } else if (body.indexOf(LF) !== -1 || body.indexOf(CR) !== -1) {
      body = escapeLineBreaks(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    }
    const capped = capEvent(body, messageBudget(prefix.length, this.#maxEventBytes));
    if (capped !== body) {
      body = capped;
      this.#truncated++;
    }
    const room = this.#buf === undefined ? 0 : this.#buf.length - this.#off;
    let needed = prefix.length + body.length + 1;
    if (typeof body === 'string' && needed + body.length * 2 > room) needed = prefix.length + byteLength(body) + 1;
    if (needed > room) this.#startChunk(needed);
    const buf = this.#buf as Buffer;
    const start = this.#off;
    let off = start + prefix.copy(buf, start);
    if (typeof body === 'string') off += buf.write(body, off, 'utf8');
    else {
      buf.set(body, off);
      off += body.length;
    }
    buf[off++] = LF;
    const size = off - start;
    this.#off = off;
    this.#chunkLines++;
    this.#lines++;
    this.#bytes += size;
    const counts = this.#tags.get(tag);
    if (counts === undefined) this.#tags.set(tag, { events: 1, bytes: size });
    else {
      counts.events++;
      counts.bytes += size;
    }
    return size;
  }

  /** Takes every framed line as one batch and starts empty again. */
  take(): FramedBatch {
    this.#closeChunk();
    const batch = {
      chunks: this.#chunks,
      tags: this.#tags,
      lines: this.#lines,
      bytes: this.#bytes,
      truncated: this.#truncated,
    };
    this.#chunks = [];
    this.#tags = new Map();
    this.#lines = 0;
    this.#bytes = 0;
    this.#truncated = 0;
    return batch;
  }

  #startChunk(needed: number): void {
    this.#closeChunk();
    this.#buf =
      needed <= this.#chunkBytes
        ? (this.#spare.pop() ?? Buffer.allocUnsafe(this.#chunkBytes))
        : Buffer.allocUnsafe(needed);
    this.#off = 0;
  }

  #closeChunk(): void {
    if (this.#buf === undefined || this.#chunkLines === 0) return;
    this.#chunks.push({ data: this.#buf.subarray(0, this.#off), lines: this.#chunkLines });
    // The rest of this buffer is not reused: the chunk taken above must stay as it is until Devo confirmed it.
    this.#buf = undefined;
    this.#off = 0;
    this.#chunkLines = 0;
  }
}

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');
