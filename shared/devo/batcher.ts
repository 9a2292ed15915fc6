import { gzipSync } from 'node:zlib';
import { capEvent, messageBudget } from './event-cap.ts';
import { LineBuffer } from './line-buffer.ts';
import type { Chunk } from './retained.ts';
import type { DevoCounters } from './stats.ts';

/** Plain mode hands lines to the socket in chunks of about this size (fewer, larger TLS writes). */
export const PLAIN_CHUNK_BYTES = 64 * 1024;

export interface BatcherOptions {
  compression: 'none' | 'gzip';
  gzipLevel: number;
  gzipMemberBytes: number;
  gzipMaxAgeMs: number;
  /** Longest line, LF included: a longer event is cut to fit, with a marker (see event-cap.ts). */
  maxEventBytes: number;
}

/**
 * Turns framed lines into wire chunks. Plain mode: runs of lines, cut at ~64 KiB or whenever the writer is idle.
 * Gzip mode: one gzip member per cut, made when the uncompressed lines exceed `gzipMemberBytes` after an append,
 * when the oldest line is `gzipMaxAgeMs` old, or on flush — the same rules as Devo's Python SDK.
 */
export class LineBatcher {
  readonly #o: BatcherOptions;
  readonly #gzip: boolean;
  readonly #lines: LineBuffer;
  readonly #counters: DevoCounters;
  readonly #emit: (chunk: Chunk) => void;
  #ageTimer: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(options: BatcherOptions, counters: DevoCounters, emit: (chunk: Chunk) => void) {
    this.#o = options;
    this.#gzip = options.compression === 'gzip';
    this.#lines = new LineBuffer((this.#gzip ? options.gzipMemberBytes : PLAIN_CHUNK_BYTES) + 16 * 1024);
    this.#counters = counters;
    this.#emit = emit;
  }

  get bytes(): number {
    return this.#lines.bytes;
  }

  /** The size of the chunks it makes: lines framed elsewhere are packed the same way. */
  get chunkBytes(): number {
    return this.#gzip ? this.#o.gzipMemberBytes : PLAIN_CHUNK_BYTES;
  }

  get lines(): number {
    return this.#lines.lines;
  }

  /** Appends one framed line, cut to `maxEventBytes`; returns its size in bytes. May emit a chunk. */
  append(prefix: Buffer, message: string): number {
    const capped = capEvent(message, messageBudget(prefix.length, this.#o.maxEventBytes));
    if (capped !== message) this.#counters.truncatedEvents++;
    const bytes = this.#lines.append(prefix, capped);
    if (this.#gzip) {
      if (this.#lines.bytes > this.#o.gzipMemberBytes) this.cut();
      else if (this.#ageTimer === null) this.#armAgeTimer(this.#o.gzipMaxAgeMs);
    } else if (this.#lines.bytes >= PLAIN_CHUNK_BYTES) {
      this.cut();
    }
    return bytes;
  }

  /** Emits whatever is buffered as one chunk (flush). */
  cut(): void {
    if (this.#lines.lines === 0) return;
    if (this.#gzip) this.#cutMember();
    else {
      const lines = this.#lines.lines;
      this.#emit({ data: this.#lines.take(), lines });
    }
  }

  /** Called when the writer has nothing left: plain lines go out at once; gzip lines wait for size or age. */
  cutWhenIdle(): void {
    if (!this.#gzip) this.cut();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#ageTimer !== null) clearTimeout(this.#ageTimer);
    this.#ageTimer = null;
  }

  /**
   * Synchronous on purpose: measured faster than zlib's async API for ~20 KB inputs, where the thread-pool round
   * trip and a new zlib stream per member dominate.
   */
  #cutMember(): void {
    const member = this.wireChunk({ data: this.#lines.view(), lines: this.#lines.lines });
    this.#lines.reset();
    this.#emit(member);
  }

  /** Lines framed elsewhere (whole lines, about one member's worth) as they go on the wire: as is, or one member. */
  wireChunk(lines: Chunk): Chunk {
    if (!this.#gzip) return lines;
    const started = performance.now();
    const data = gzipSync(lines.data, { level: this.#o.gzipLevel });
    this.#counters.compressMs += performance.now() - started;
    this.#counters.gzipMembers++;
    this.#counters.compressedBytes += data.length;
    return { data, lines: lines.lines };
  }

  #armAgeTimer(ms: number): void {
    this.#ageTimer = setTimeout(() => {
      this.#ageTimer = null;
      if (this.#lines.lines === 0 || this.#stopped) return;
      const age = Date.now() - this.#lines.firstLineAt;
      if (age >= this.#o.gzipMaxAgeMs) this.#cutMember();
      else this.#armAgeTimer(this.#o.gzipMaxAgeMs - age);
    }, ms);
    // The timer only bounds latency; it must not keep a finished process alive.
    this.#ageTimer.unref();
  }
}
