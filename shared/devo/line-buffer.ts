const LF = 0x0a;

/**
 * Accumulates framed lines directly as UTF-8 bytes: the tag prefix is copied from a cached buffer and the message is
 * encoded in place, so a line costs one encode pass and no intermediate string. Lone surrogates in the message come
 * out as U+FFFD (EF BF BD), which is what Buffer#write does for them.
 */
export class LineBuffer {
  #buf: Buffer;
  #off = 0;
  #lines = 0;
  readonly #capacity: number;
  /** `Date.now()` when the first line of the current batch was appended (0 when empty). */
  firstLineAt = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#buf = Buffer.allocUnsafe(capacity);
  }

  get bytes(): number {
    return this.#off;
  }

  get lines(): number {
    return this.#lines;
  }

  /** Appends `prefix + message + LF` and returns the number of bytes the line took. */
  append(prefix: Buffer, message: string): number {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit, so this bound guarantees `write` never truncates.
    const worst = prefix.length + message.length * 3 + 1;
    if (this.#off + worst > this.#buf.length) this.#grow(this.#off + worst);
    const start = this.#off;
    if (start === 0) this.firstLineAt = Date.now();
    let off = start + prefix.copy(this.#buf, start);
    off += this.#buf.write(message, off, 'utf8');
    this.#buf[off++] = LF;
    this.#off = off;
    this.#lines++;
    return off - start;
  }

  /** The buffered bytes, still owned by this buffer: valid until the next `append` after `reset`. */
  view(): Buffer {
    return this.#buf.subarray(0, this.#off);
  }

  /** Returns an exact-size copy of the buffered bytes (retained chunks waste no capacity) and resets. */
  take(): Buffer {
    const out = Buffer.from(this.view());
    this.reset();
    return out;
  }

  /** Forgets the buffered bytes and reuses the memory. */
  reset(): void {
    this.#off = 0;
    this.#lines = 0;
    this.firstLineAt = 0;
    if (this.#buf.length > this.#capacity * 4) this.#buf = Buffer.allocUnsafe(this.#capacity);
  }

  #grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, this.#buf.length * 2));
    this.#buf.copy(next, 0, 0, this.#off);
    this.#buf = next;
  }
}
