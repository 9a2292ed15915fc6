import { setTimeout as delay } from 'node:timers/promises';
import { LineBatcher } from './batcher.ts';
import { ConnectionKeeper } from './connection-keeper.ts';
import type { DevoConnection } from './connection.ts';
import { DevoError } from './errors.ts';
import type { FramedBatch } from './framed-lines.ts';
import { escapeLineBreaks, framePrefix, hasLineBreak, validateDevoTag } from './framing.ts';
import { resolveDevoOptions, type DevoSenderOptions, type ResolvedDevoOptions } from './options.ts';
import { RetainedChunks } from './retained.ts';
import { classifySocketError } from './socket-errors.ts';
import { newCounters, snapshotStats, type DevoSenderStats, type DevoTagStats } from './stats.ts';
import { buildDevoTarget, securityLevelWarning } from './tls-context.ts';
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
 */
export class DevoSender {
  readonly endpoint: string;
  readonly #o: ResolvedDevoOptions;
  readonly #gzip: boolean;
  readonly #tags = new Map<string, TagEntry>();
  readonly #retained = new RetainedChunks();
  readonly #s = newCounters();
  readonly #lines: LineBatcher;
  readonly #connections: ConnectionKeeper;
  #queue: Promise<unknown> = Promise.resolve();
  /** The connection written last, and the chunk index it started carrying at. */
  #carrier: DevoConnection | null = null;
  #connectionStart = 0;
  /** The last flush's confirmation (never rejecting): the next flush applies its own only after it. */
  #confirming: Promise<void> = Promise.resolve();
  #pumpScheduled = false;
  #flushesWaiting = 0;
  #wakePump: AbortController | null = null;
  #failure: DevoError | null = null;
  #readyWaiters: Array<{ resolve: () => void; reject: (err: DevoError) => void }> = [];
  #closing: Promise<void> | null = null;
  #released = false;
  readonly #hooks: DevoSenderHooks;

  /** Throws `DEVO_OPTIONS_INVALID`, `DEVO_TLS_MISSING_CREDENTIALS` or `DEVO_TLS_BAD_CREDENTIALS` synchronously. */
  constructor(options: DevoSenderOptions, hooks: DevoSenderHooks = {}) {
    this.#hooks = hooks;
    this.#o = resolveDevoOptions(options);
    const target = buildDevoTarget(this.#o);
    const warning = this.#o.tls ? securityLevelWarning(this.#o.tlsSecurityLevel) : undefined;
    if (warning !== undefined) hooks.onWarning?.(warning);
    this.endpoint = target.endpoint;
    this.#connections = new ConnectionKeeper({
      target,
      timeouts: this.#o,
      idleReconnectMs: this.#o.idleReconnectMs,
      maxConnectionAgeMs: this.#o.maxConnectionAgeMs,
      counters: this.#s,
      onConnection: hooks.onConnection,
    });
    this.#gzip = this.#o.compression === 'gzip';
    this.#lines = new LineBatcher(this.#o, this.#s, (chunk) => {
      this.#retained.push(chunk);
      this.#schedulePump();
    });
  }

  /** Bytes handed to the sender and not yet confirmed (wire bytes retained + buffered lines, uncompressed). */
  get pendingBytes(): number {
    return this.#retained.bytes + this.#lines.bytes;
  }

  get pendingLines(): number {
    return this.#retained.lines + this.#lines.lines;
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
    for (const chunk of batch.chunks) this.#retained.push(this.#lines.wireChunk(chunk));
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
      this.#connections.release();
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
    return this.#retained.unwrittenBytes + this.#lines.bytes;
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#failure !== null || this.#released) return;
    this.#pumpScheduled = true;
    setImmediate(() => void this.#enqueue(() => this.#pump()));
  }

  /** Runs connection work one operation at a time, in call order. */
  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Background writer: writes whatever is ready; steps aside as soon as a flush waits. */
  async #pump(): Promise<void> {
    this.#pumpScheduled = false;
    const started = performance.now();
    let attempts = 0;
    try {
      while (this.#flushesWaiting === 0 && !this.#released && this.#failure === null) {
        if (!this.#retained.hasUnwritten) this.#lines.cutWhenIdle();
        if (!this.#retained.hasUnwritten) break;
        try {
          await this.#writeUpTo(await this.#connection(), Infinity);
          attempts = 0;
        } catch (err) {
          const e = this.#afterFailure(err);
          attempts++;
          if (!e.retriable || attempts >= this.#o.retryAttempts) return this.#stop(finalError(e, attempts));
          // Unreferenced: a background retry alone must not keep the process alive. A flush cuts the wait short
          // (it must not sit behind an unreferenced timer) and takes over with its own referenced retries.
          this.#wakePump = new AbortController();
          await delay(this.#backoff(attempts), undefined, { ref: false, signal: this.#wakePump.signal }).catch(
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
    const target = this.#retained.end;
    const confirmed = this.#deliverUpTo(target, this.#confirming, more, onWritten);
    this.#confirming = confirmed.catch(() => undefined);
    try {
      await confirmed;
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

  /**
   * Delivers every chunk before absolute index `target` in two stages. The writing, one flush at a time, ends with the
   * connection detached, so the next flush writes on a connection of its own while this one is confirmed: Devo keeps
   * receiving instead of idling through every close. Confirmations are applied in flush order, and a flush drops its
   * chunks only once everything before them is confirmed too. Any failure falls back to writing everything still
   * unconfirmed again on one connection, with retries (`#flushOp`): a chunk may be sent twice, never dropped unsent.
   */
  async #deliverUpTo(
    target: number,
    ahead: Promise<void>,
    more: (() => boolean) | undefined,
    onWritten: (() => void) | undefined,
  ): Promise<void> {
    const written = await this.#enqueue(() => this.#writeStage(target, more));
    onWritten?.();
    let failure: unknown;
    if (written !== undefined) await written.conn.confirm().catch((err: unknown) => (failure = err));
    await ahead;
    const start = written?.start ?? target;
    if (failure === undefined && this.#retained.base >= start) {
      if (target > this.#retained.base) this.#confirmed(target);
      return;
    }
    // Our confirmation failed, or one before it: what it carried is unconfirmed, and so is what we wrote after it.
    await this.#enqueue(async () => {
      let attempts = 0;
      if (failure !== undefined) {
        const e = this.#afterFailure(failure);
        attempts = 1;
        if (!e.retriable || attempts >= this.#o.retryAttempts) throw finalError(e, attempts);
        await delay(this.#backoff(attempts));
      } else this.#rewind();
      await this.#flushOp(target, more, attempts);
    });
  }

  /**
   * Writes the chunks up to `target` that no connection carries yet and detaches the connection, for `#deliverUpTo`
   * to confirm; undefined when there was nothing to write, or when a failure made it deliver and confirm everything up
   * to `target` the classic way.
   */
  async #writeStage(
    target: number,
    more: (() => boolean) | undefined,
  ): Promise<{ conn: DevoConnection; start: number } | undefined> {
    this.#failure = null;
    // Everything is written already, on connections flushes before this one confirm.
    if (target <= this.#retained.position && !this.#connections.hasCurrent) return undefined;
    try {
      const conn = await this.#connection();
      if (target <= this.#retained.base) return undefined; // replacing an idle connection confirmed it all
      const start = this.#connectionStart;
      await this.#writeUpTo(conn, target);
      this.#connections.detach();
      // Asked once the data is written: by then the caller knows whether more is on its way.
      if (more?.() === true) this.#connections.openSpare();
      return { conn, start };
    } catch (err) {
      const e = this.#afterFailure(err);
      if (!e.retriable || this.#o.retryAttempts <= 1) throw finalError(e, 1);
      await delay(this.#backoff(1));
      await this.#flushOp(target, more, 1);
      return undefined;
    }
  }

  /** Writes and confirms every chunk before absolute index `target`, retrying on new connections. */
  async #flushOp(target: number, more: (() => boolean) | undefined, failedAttempts = 0): Promise<void> {
    this.#failure = null;
    let attempts = failedAttempts;
    while (target > this.#retained.base) {
      try {
        const conn = await this.#connection();
        if (target <= this.#retained.base) return; // replacing an idle connection confirmed it all
        await this.#writeUpTo(conn, target);
        this.#connections.detach();
        // Asked once the data is written: by then the caller knows whether more is on its way.
        if (more?.() === true) this.#connections.openSpare();
        await conn.confirm();
        this.#confirmed(this.#retained.position);
      } catch (err) {
        const e = this.#afterFailure(err);
        attempts++;
        if (!e.retriable || attempts >= this.#o.retryAttempts) throw finalError(e, attempts);
        await delay(this.#backoff(attempts));
      }
    }
  }

  /** Writes retained chunks on `conn` up to absolute index `end` (Infinity: all, including ones added meanwhile). */
  async #writeUpTo(conn: DevoConnection, end: number): Promise<void> {
    while (this.#retained.position < end) {
      const next = this.#retained.next();
      if (next === undefined) return;
      const pending = conn.write(next.chunk.data);
      this.#s.wireBytes += next.chunk.data.length;
      if (next.resend) {
        this.#s.resentBytes += next.chunk.data.length;
        this.#s.resentLines += next.chunk.lines;
      }
      if (pending) await pending;
      if (this.#readyWaiters.length > 0) this.#notifyReady();
    }
  }

  /**
   * The connection to write on; one replaced for being idle or old first has what it carried confirmed. Notes where a
   * connection not seen before starts carrying chunks (`#connectionStart`).
   */
  async #connection(): Promise<DevoConnection> {
    const conn = await this.#connections.get(async (old) => {
      if (!old.alive) this.#rewind();
      else if (this.#retained.writtenCount === 0) old.release();
      else {
        // Confirm what the old connection carried rather than resend it.
        try {
          await old.confirm();
          this.#confirmed(this.#retained.position);
        } catch {
          this.#rewind();
        }
      }
    });
    if (conn !== this.#carrier) {
      this.#carrier = conn;
      this.#connectionStart = this.#retained.position;
    }
    return conn;
  }

  /** Everything unconfirmed is to be written again, from whichever connection writes next. */
  #rewind(): void {
    this.#retained.rewind();
    this.#carrier = null;
  }

  /** A connection that carried every unconfirmed chunk before absolute index `end` was confirmed. */
  #confirmed(end: number): void {
    const { bytes, lines } = this.#retained.confirmUpTo(end);
    this.#s.confirmedBytes += bytes;
    this.#s.confirmedLines += lines;
    this.#hooks.onConnection?.({ kind: 'confirm', lines, bytes });
  }

  #afterFailure(err: unknown): DevoError {
    this.#s.failures++;
    this.#connections.fail();
    this.#rewind();
    return classifySocketError(err, 'write', this.endpoint);
  }

  #stop(err: DevoError): void {
    this.#failure = err;
    for (const w of this.#readyWaiters.splice(0)) w.reject(err);
  }

  #backoff(attempt: number): number {
    return this.#o.retryBaseDelayMs * 2 ** (attempt - 1);
  }

  #notifyReady(): void {
    if (this.#readyWaiters.length === 0 || this.#unwrittenBytes() > this.#o.highWaterBytes / 2) return;
    for (const w of this.#readyWaiters.splice(0)) w.resolve();
  }
}

/** The error a caller sees after retries: the failing step's code, with the attempt count in the message. */
function finalError(e: DevoError, attempts: number): DevoError {
  return new DevoError(e.code, `Devo delivery failed after ${attempts} attempt(s): ${e.message}`, {
    step: e.step,
    retriable: e.retriable,
    osCode: e.osCode,
    endpoint: e.endpoint,
    attempts,
    cause: e,
  });
}
