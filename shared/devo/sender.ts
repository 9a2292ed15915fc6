import { setTimeout as delay } from 'node:timers/promises';
import { LineBatcher } from './batcher.ts';
import { DevoError } from './errors.ts';
import type { FramedBatch } from './framed-lines.ts';
import { escapeLineBreaks, framePrefix, hasLineBreak, validateDevoTag } from './framing.ts';
import { resolveDevoOptions, type DevoSenderOptions, type ResolvedDevoOptions } from './options.ts';
import { newCounters, snapshotStats, type DevoSenderStats, type DevoTagStats } from './stats.ts';
import { buildDevoTarget, securityLevelWarning } from './tls-context.ts';
import { finalError, Wire } from './wire.ts';
import type { DevoConnectionEvent } from '../telemetry/traces.ts';

/** Observers of the sender, for debug traces and warnings; the sender itself never logs. */
export interface DevoSenderHooks {
  onConnection?: (event: DevoConnectionEvent) => void;
  /** Called once, from the constructor, for a setting that weakens the connection (a lowered TLS security level). */
  onWarning?: (message: string) => void;
}

export interface FlushOptions {
  /** Asked once the data is written: true when more follows, so the next connection is opened during the confirm. */
  more?: () => boolean;
  /**
   * Called once this flush's data is written (not when writing failed): a next flush may start then, and writes on a
   * new connection while this one is confirmed.
   */
  onWritten?: () => void;
}

interface TagEntry extends DevoTagStats {
  prefix: Buffer;
}

/**
 * Sends events to Devo with at-least-once delivery.
 *
 * - `send(tag, message)` frames the event synchronously into a buffer and returns at once. It returns `false` when
 *   more than `highWaterBytes` wait to be written; the caller should then `await ready()` before sending more.
 * - A background writer pushes the bytes over one long-lived connection (plain lines in ~64 KiB chunks, or gzip
 *   members), reconnecting as needed.
 * - Every byte written is retained until confirmed. `flush()` writes everything, half-closes and waits for the server
 *   to close its side; only then are the bytes dropped. Any failure before that resends everything retained on a new
 *   connection, so Devo may see duplicates but never a gap. `pendingBytes` tells a collector how much is at stake.
 * - A flush's connection is confirmed while the next flush already writes on a connection of its own (wire.ts).
 */
export class DevoSender {
  readonly endpoint: string;
  readonly #o: ResolvedDevoOptions;
  readonly #gzip: boolean;
  readonly #tags = new Map<string, TagEntry>();
  readonly #s = newCounters();
  readonly #lines: LineBatcher;
  readonly #wire: Wire;
  #pumpScheduled = false;
  #flushesWaiting = 0;
  #wakePump: AbortController | null = null;
  #failure: DevoError | null = null;
  #readyWaiters: Array<{ resolve: () => void; reject: (err: DevoError) => void }> = [];
  #closing: Promise<void> | null = null;
  #released = false;

  /** Throws `DEVO_OPTIONS_INVALID`, `DEVO_TLS_MISSING_CREDENTIALS` or `DEVO_TLS_BAD_CREDENTIALS` synchronously. */
  constructor(options: DevoSenderOptions, hooks: DevoSenderHooks = {}) {
    this.#o = resolveDevoOptions(options);
    const target = buildDevoTarget(this.#o);
    const warning = this.#o.tls ? securityLevelWarning(this.#o.tlsSecurityLevel) : undefined;
    if (warning !== undefined) hooks.onWarning?.(warning);
    this.endpoint = target.endpoint;
    this.#wire = new Wire({
      target,
      timeouts: this.#o,
      idleReconnectMs: this.#o.idleReconnectMs,
      maxConnectionAgeMs: this.#o.maxConnectionAgeMs,
      retryAttempts: this.#o.retryAttempts,
      retryBaseDelayMs: this.#o.retryBaseDelayMs,
      counters: this.#s,
      onConnection: hooks.onConnection,
      onWrite: () => this.#notifyReady(),
    });
    this.#gzip = this.#o.compression === 'gzip';
    this.#lines = new LineBatcher(this.#o, this.#s, (chunk) => {
      this.#wire.push(chunk);
      this.#schedulePump();
    });
  }

  /** Bytes handed to the sender and not yet confirmed (wire bytes retained + buffered lines, uncompressed). */
  get pendingBytes(): number {
    return this.#wire.bytes + this.#lines.bytes;
  }

  get pendingLines(): number {
    return this.#wire.lines + this.#lines.lines;
  }

  /** The error that stopped the background writer, until a flush succeeds. */
  get lastError(): DevoError | null {
    return this.#failure;
  }

  /** Frames and buffers one event; false means "over the high-water mark, await ready()". */
  send(tag: string, message: string): boolean {
    if (this.#closing !== null) throw new DevoError('DEVO_SENDER_CLOSED', 'send() called after close()', { tag });
    const entry = this.#tags.get(tag) ?? this.#addTag(tag);
    if (typeof message !== 'string') {
      throw new DevoError('DEVO_MESSAGE_INVALID', `message for tag ${tag} must be a string`, { tag });
    }
    const bytes = this.#lines.append(entry.prefix, hasLineBreak(message) ? escapeLineBreaks(message) : message);
    entry.events++;
    entry.bytes += bytes;
    if (!this.#gzip) this.#schedulePump();
    return this.#unwrittenBytes() < this.#o.highWaterBytes;
  }

  /** The framed prefix of a tag's lines, cached; throws `DEVO_TAG_INVALID` for a tag Devo would not accept. */
  prefix(tag: string): Buffer {
    return (this.#tags.get(tag) ?? this.#addTag(tag)).prefix;
  }

  /** Lines framed elsewhere should come in chunks of about this size (see `sendFramed`). */
  get chunkBytes(): number {
    return this.#lines.chunkBytes;
  }

  /** Lines framed elsewhere must be cut to this many bytes, as `send` cuts its own (see event-cap.ts). */
  get maxEventBytes(): number {
    return this.#o.maxEventBytes;
  }

  /**
   * Takes lines already framed with `prefix()` in chunks of about `chunkBytes`, behind everything sent before, with
   * the same delivery guarantee as `send`. The lines are already in memory, so there is no high-water wait.
   */
  sendFramed(batch: FramedBatch): void {
    if (this.#closing !== null) throw new DevoError('DEVO_SENDER_CLOSED', 'sendFramed() called after close()');
    if (batch.lines === 0) return;
    this.#lines.cut();
    this.#s.truncatedEvents += batch.truncated;
    for (const [tag, counts] of batch.tags) {
      const entry = this.#tags.get(tag) ?? this.#addTag(tag);
      entry.events += counts.events;
      entry.bytes += counts.bytes;
    }
    for (const chunk of batch.chunks) this.#wire.push(this.#lines.wireChunk(chunk));
    this.#schedulePump();
  }

  /** Resolves once the unwritten backlog is below half the high-water mark; rejects if the writer gave up. */
  ready(): Promise<void> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#released || this.#unwrittenBytes() <= this.#o.highWaterBytes / 2) return Promise.resolve();
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /**
   * Delivers and confirms everything sent so far. Rejects with the code of the step that failed last
   * (e.g. `DEVO_CONNECT_FAILED`, `DEVO_TLS_CLIENT_REJECTED`, `DEVO_WRITE_TIMEOUT`, `DEVO_FLUSH_FAILED` /
   * `DEVO_CONFIRM_TIMEOUT` for the confirmation) with `attempts` set, once `retryAttempts` connections failed or
   * at once for a failure a retry cannot fix (certificates). The data stays retained: a later flush retries it.
   */
  flush(options: FlushOptions = {}): Promise<void> {
    if (this.#closing !== null) return Promise.reject(new DevoError('DEVO_SENDER_CLOSED', 'flush() after close()'));
    return this.#flush(options);
  }

  /** Flushes, then releases the connection and timers. Rejects like `flush()` if the last data was not confirmed. */
  close(): Promise<void> {
    this.#closing ??= this.#flush({}).finally(() => {
      this.#released = true;
      this.#lines.stop();
      this.#wire.release();
      for (const w of this.#readyWaiters.splice(0)) w.resolve();
    });
    return this.#closing;
  }

  stats(): DevoSenderStats {
    return snapshotStats(this.#s, this.#tags, { bytes: this.pendingBytes, lines: this.pendingLines });
  }

  /** Validates a tag once and caches its framed prefix. */
  #addTag(tag: string): TagEntry {
    validateDevoTag(tag);
    const prefix = Buffer.from(framePrefix(this.#o.priority, this.#o.hostname, tag));
    const entry: TagEntry = { prefix, events: 0, bytes: 0 };
    this.#tags.set(tag, entry);
    return entry;
  }

  #unwrittenBytes(): number {
    return this.#wire.unwrittenBytes + this.#lines.bytes;
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#failure !== null || this.#released) return;
    this.#pumpScheduled = true;
    setImmediate(() => void this.#wire.enqueue(() => this.#pump()));
  }

  /** Background writer: writes whatever is ready; steps aside as soon as a flush waits. */
  async #pump(): Promise<void> {
    this.#pumpScheduled = false;
    const started = performance.now();
    let attempts = 0;
    try {
      while (this.#flushesWaiting === 0 && !this.#released && this.#failure === null) {
        if (!this.#wire.hasUnwritten) this.#lines.cutWhenIdle();
        if (!this.#wire.hasUnwritten) break;
        try {
          await this.#wire.writeAll();
          attempts = 0;
        } catch (err) {
          const e = this.#wire.failed(err);
          attempts++;
          if (!e.retriable || attempts >= this.#o.retryAttempts) return this.#stop(finalError(e, attempts));
          // Unreferenced: a background retry alone must not keep the process alive. A flush cuts the wait short
          // (it must not sit behind an unreferenced timer) and takes over with its own referenced retries.
          this.#wakePump = new AbortController();
          await delay(this.#wire.backoff(attempts), undefined, { ref: false, signal: this.#wakePump.signal }).catch(
            () => undefined,
          );
          this.#wakePump = null;
        }
      }
    } finally {
      this.#s.sendingMs += performance.now() - started;
    }
    this.#notifyReady();
  }

  async #flush({ more, onWritten }: FlushOptions): Promise<void> {
    const started = performance.now();
    this.#flushesWaiting++;
    this.#wakePump?.abort();
    this.#lines.cut();
    this.#failure = null;
    try {
      await this.#wire.deliver(this.#wire.end, more, onWritten);
      this.#s.flushes++;
    } catch (err) {
      // The writer stays stopped until the caller flushes again: no hidden retries after a reported failure.
      this.#stop(err as DevoError);
      throw err;
    } finally {
      this.#flushesWaiting--;
      this.#s.flushingMs += performance.now() - started;
      if (this.#unwrittenBytes() > 0) this.#schedulePump();
    }
  }

  #stop(err: DevoError): void {
    this.#failure = err;
    for (const w of this.#readyWaiters.splice(0)) w.reject(err);
  }

  #notifyReady(): void {
    if (this.#readyWaiters.length === 0 || this.#unwrittenBytes() > this.#o.highWaterBytes / 2) return;
    for (const w of this.#readyWaiters.splice(0)) w.resolve();
  }
}
