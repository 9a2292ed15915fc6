import { setTimeout as delay } from 'node:timers/promises';
import { ConnectionKeeper } from './connection-keeper.ts';
import type { ConnectionTimeouts, DevoConnection } from './connection.ts';
import { DevoError } from './errors.ts';
import { RetainedChunks, type Chunk } from './retained.ts';
import { classifySocketError } from './socket-errors.ts';
import type { DevoCounters } from './stats.ts';
import type { DevoTarget } from './tls-context.ts';
import type { DevoConnectionEvent } from '../telemetry/traces.ts';

export interface WireOptions {
  target: DevoTarget;
  timeouts: ConnectionTimeouts;
  idleReconnectMs: number;
  maxConnectionAgeMs: number;
  retryAttempts: number;
  retryBaseDelayMs: number;
  counters: DevoCounters;
  onConnection?: ((event: DevoConnectionEvent) => void) | undefined;
  /** After every chunk written, so the sender can wake callers waiting for room. */
  onWrite: () => void;
}

/** A connection written and detached, to be confirmed, and the chunk index it started carrying at. */
interface Written {
  conn: DevoConnection;
  start: number;
}

/**
 * The sender's bytes on their way to Devo: every chunk handed over and not yet confirmed, the connections that carry
 * them (ConnectionKeeper), and the one queue in which all writing happens, in order. The sender decides when to
 * write (its background writer, or a flush); this decides on which connection, and when a chunk may be dropped:
 * only once a connection that carried it was confirmed.
 */
export class Wire {
  readonly endpoint: string;
  readonly #o: WireOptions;
  readonly #s: DevoCounters;
  readonly #retained = new RetainedChunks();
  readonly #connections: ConnectionKeeper;
  readonly #onConnection: WireOptions['onConnection'];
  readonly #onWrite: () => void;
  #queue: Promise<unknown> = Promise.resolve();
  /** The connection written last, and the chunk index it started carrying at. */
  #carrier: DevoConnection | null = null;
  #connectionStart = 0;
  /** The last delivery's confirmation (never rejecting): the next one applies its own only after it. */
  #confirming: Promise<void> = Promise.resolve();

  constructor(options: WireOptions) {
    this.#o = options;
    this.#s = options.counters;
    this.endpoint = options.target.endpoint;
    this.#onConnection = options.onConnection;
    this.#onWrite = options.onWrite;
    this.#connections = new ConnectionKeeper(options);
  }

  /** Hands a chunk over, behind every one before it. */
  push(chunk: Chunk): void {
    this.#retained.push(chunk);
  }

  /** Wire bytes and lines handed over and not yet confirmed. */
  get bytes(): number {
    return this.#retained.bytes;
  }

  get lines(): number {
    return this.#retained.lines;
  }

  get unwrittenBytes(): number {
    return this.#retained.unwrittenBytes;
  }

  get hasUnwritten(): boolean {
    return this.#retained.hasUnwritten;
  }

  /** Absolute index just past the last chunk handed over: a delivery up to here covers everything so far. */
  get end(): number {
    return this.#retained.end;
  }

  /** Writes every chunk handed over on the current connection (the background writer's step); run it in `enqueue`. */
  async writeAll(): Promise<void> {
    await this.#writeUpTo(await this.#connection(), Infinity);
  }

  /** Ends the connections, which carry nothing unconfirmed. */
  release(): void {
    this.#connections.release();
  }

  /**
   * Delivers every chunk before absolute index `target` in two stages. The writing, one flush at a time, ends with the
   * connection detached, so the next flush writes on a connection of its own while this one is confirmed: Devo keeps
   * receiving instead of idling through every close. Confirmations are applied in flush order, and a flush drops its
   * chunks only once everything before them is confirmed too. Any failure falls back to writing everything still
   * unconfirmed again on one connection, with retries (`#flushOp`): a chunk may be sent twice, never dropped unsent.
   */
  deliver(target: number, more?: () => boolean, onWritten?: () => void): Promise<void> {
    const confirmed = this.#deliverAfter(this.#confirming, target, more, onWritten);
    this.#confirming = confirmed.catch(() => undefined);
    return confirmed;
  }

  async #deliverAfter(
    ahead: Promise<void>,
    target: number,
    more: (() => boolean) | undefined,
    onWritten: (() => void) | undefined,
  ): Promise<void> {
    const written = await this.enqueue(() => this.#writeStage(target, more));
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
    await this.enqueue(() => {
      if (failure === undefined) this.#rewind();
      return this.#flushOp(target, more, failure);
    });
  }

  /**
   * Writes the chunks up to `target` that no connection carries yet and detaches the connection, for `deliver` to
   * confirm; undefined when there was nothing to write, or when a failure made it deliver and confirm everything up
   * to `target` the classic way.
   */
  async #writeStage(target: number, more: (() => boolean) | undefined): Promise<Written | undefined> {
    // Everything is written already, on connections flushes before this one confirm.
    if (target <= this.#retained.position && !this.#connections.hasCurrent) return undefined;
    try {
      return await this.#writeDetached(target, more);
    } catch (err) {
      await this.#flushOp(target, more, err);
      return undefined;
    }
  }

  /**
   * Writes and confirms every chunk before absolute index `target`, retrying on new connections; `failure`: the first
   * attempt already failed with it (the delivery's own write or confirmation).
   */
  async #flushOp(target: number, more: (() => boolean) | undefined, failure?: unknown): Promise<void> {
    let attempts = failure === undefined ? 0 : await this.#retryAfter(failure, 0);
    while (target > this.#retained.base) {
      try {
        const written = await this.#writeDetached(target, more);
        if (written === undefined) return;
        await written.conn.confirm();
        this.#confirmed(this.#retained.position);
      } catch (err) {
        attempts = await this.#retryAfter(err, attempts);
      }
    }
  }

  /**
   * Writes the chunks up to `target` on the current connection (or a new one), then detaches it for its confirmation
   * and, when more follows, opens the next one meanwhile. Undefined when replacing an idle connection confirmed it all.
   */
  async #writeDetached(target: number, more: (() => boolean) | undefined): Promise<Written | undefined> {
    const conn = await this.#connection();
    if (target <= this.#retained.base) return undefined;
    const start = this.#connectionStart;
    await this.#writeUpTo(conn, target);
    this.#connections.detach();
    // Asked once the data is written: by then the caller knows whether more is on its way.
    if (more?.() === true) this.#connections.openSpare();
    return { conn, start };
  }

  /** Counts a failed attempt and waits out its backoff; throws the final error when no retry is left or can help. */
  async #retryAfter(err: unknown, attempts: number): Promise<number> {
    const e = this.failed(err);
    const failed = attempts + 1;
    if (!e.retriable || failed >= this.#o.retryAttempts) throw finalError(e, failed);
    await delay(this.backoff(failed));
    return failed;
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
      this.#onWrite();
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
    this.#onConnection?.({ kind: 'confirm', lines, bytes });
  }

  /** After a failed write or confirmation: drops the connections, rewinds, and says what failed. */
  failed(err: unknown): DevoError {
    this.#s.failures++;
    this.#connections.fail();
    this.#rewind();
    return classifySocketError(err, 'write', this.endpoint);
  }

  /** The wait before retry `attempt` (1-based): doubles from `retryBaseDelayMs`. */
  backoff(attempt: number): number {
    return this.#o.retryBaseDelayMs * 2 ** (attempt - 1);
  }

  /** Runs connection work one operation at a time, in call order. */
  enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** The error a caller sees after retries: the failing step's code, with the attempt count in the message. */
export function finalError(e: DevoError, attempts: number): DevoError {
  return new DevoError(e.code, `Devo delivery failed after ${attempts} attempt(s): ${e.message}`, {
    step: e.step,
    retriable: e.retriable,
    osCode: e.osCode,
    endpoint: e.endpoint,
    attempts,
    cause: e,
  });
}
