/** Bytes ready for the wire: a run of plain lines or one gzip member, never splitting a line. */
export interface Chunk {
  data: Buffer;
  lines: number;
}

/**
 * Every chunk handed to the wire since the last confirmation, plus how far the current connection got. Chunks leave
 * only when a connection carrying them is confirmed; a failed connection rewinds the position so all of them are
 * written again on the next one.
 */
export class RetainedChunks {
  #chunks: Chunk[] = [];
  /** Absolute index of the first retained chunk (grows with every confirmation). */
  #base = 0;
  #written = 0;
  #everWritten = 0;
  bytes = 0;
  lines = 0;
  writtenBytes = 0;

  /** Absolute index just past the last retained chunk: a flush confirms up to here. */
  get end(): number {
    return this.#base + this.#chunks.length;
  }

  get base(): number {
    return this.#base;
  }

  /** Absolute index of the next chunk to write on the current connection. */
  get position(): number {
    return this.#base + this.#written;
  }

  /** Chunks already written on the current connection (unconfirmed). */
  get writtenCount(): number {
    return this.#written;
  }

  get unwrittenBytes(): number {
    return this.bytes - this.writtenBytes;
  }

  get hasUnwritten(): boolean {
    return this.#written < this.#chunks.length;
  }

  push(chunk: Chunk): void {
    this.#chunks.push(chunk);
    this.bytes += chunk.data.length;
    this.lines += chunk.lines;
  }

  /** Takes the next chunk to write; `resend` tells whether an earlier connection already carried it. */
  next(): { chunk: Chunk; resend: boolean } | undefined {
    const chunk = this.#chunks[this.#written];
    if (chunk === undefined) return undefined;
    const resend = this.#written < this.#everWritten;
    this.#written++;
    this.writtenBytes += chunk.data.length;
    if (this.#written > this.#everWritten) this.#everWritten = this.#written;
    return { chunk, resend };
  }

  /** The current connection is gone: everything retained must be written again. */
  rewind(): void {
    this.#written = 0;
    this.writtenBytes = 0;
  }

  /**
   * A connection that carried every retained chunk before absolute index `end` (or the part of them not yet
   * confirmed) was confirmed: drop them. Chunks after `end`, written on a later connection, stay written.
   */
  confirmUpTo(end: number): { bytes: number; lines: number } {
    const dropped = this.#chunks.splice(0, Math.max(0, end - this.#base));
    let bytes = 0;
    let lines = 0;
    // After a rewind the current connection has written none of them again: only those it did count as written.
    let written = 0;
    for (let i = 0; i < dropped.length; i++) {
      const chunk = dropped[i] as Chunk;
      bytes += chunk.data.length;
      lines += chunk.lines;
      if (i < this.#written) written += chunk.data.length;
    }
    this.bytes -= bytes;
    this.lines -= lines;
    this.writtenBytes -= written;
    this.#base += dropped.length;
    this.#everWritten = Math.max(0, this.#everWritten - dropped.length);
    this.#written = Math.max(0, this.#written - dropped.length);
    return { bytes, lines };
  }
}
