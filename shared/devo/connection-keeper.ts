import { openDevoConnection } from './connect.ts';
import type { ConnectionTimeouts, DevoConnection } from './connection.ts';
import type { DevoCounters } from './stats.ts';
import type { DevoTarget } from './tls-context.ts';
import { TlsResumption } from './tls-resumption.ts';
import type { DevoConnectionEvent } from '../telemetry/traces.ts';

export interface ConnectionKeeperOptions {
  target: DevoTarget;
  timeouts: ConnectionTimeouts;
  /** A connection idle this long, or open this long, is replaced before the next write. */
  idleReconnectMs: number;
  maxConnectionAgeMs: number;
  /** Where connections opened and reconnects are counted (the sender's statistics). */
  counters: Pick<DevoCounters, 'connections' | 'reconnects'>;
  onConnection?: ((event: DevoConnectionEvent) => void) | undefined;
}

type ReplaceReason = Extract<DevoConnectionEvent, { kind: 'reconnect' }>['reason'];

/**
 * The sender's connections: the one being written, and a spare opened ahead of need. It decides when the current one
 * is too idle or too old to write on, opens and counts new ones, and tells why each replaced the one before. What was
 * written on a connection, and whether it is confirmed, stays the sender's business (`get`'s `retire`).
 */
export class ConnectionKeeper {
  readonly #o: ConnectionKeeperOptions;
  #conn: DevoConnection | null = null;
  /**
   * A connection opened while the one before it was being confirmed, when the caller said more data follows: the
   * handshake, which on a busy event loop took as long as writing a whole batch, then overlaps the confirmation.
   */
  #spare: Promise<DevoConnection | null> | null = null;
  /** The next connection replaces one that failed, idled or aged (counted as a reconnect). */
  #replacing = false;
  /** Why the next connection replaces the previous one, for the reconnect trace. */
  #replaceReason: ReplaceReason = 'failure';
  /** The TLS session the next connection offers: one per sender, never shared with another target. */
  readonly #resumption = new TlsResumption();

  constructor(options: ConnectionKeeperOptions) {
    this.#o = options;
  }

  /**
   * The connection to write on: the current one unless it is dead, idle or too old. One replaced for that reason is
   * first handed to `retire`, which confirms or gives up what it carried; then the spare is used if it is still fit,
   * or a new connection is opened.
   */
  async get(retire: (old: DevoConnection) => Promise<void>): Promise<DevoConnection> {
    const conn = this.#conn;
    if (conn !== null) {
      const now = Date.now();
      const idle = now - conn.lastWriteAt > this.#o.idleReconnectMs;
      const aged = now - conn.openedAt > this.#o.maxConnectionAgeMs;
      if (conn.alive && !idle && !aged) return conn;
      this.#conn = null;
      this.#replacing = true;
      this.#replaceReason = !conn.alive ? 'dead' : idle ? 'idle' : 'age';
      await retire(conn);
    }
    const spare = await this.#takeSpare();
    if (spare !== undefined) {
      this.#replacing = false;
      this.#conn = spare;
      return spare;
    }
    const next = await this.#open();
    this.#replacing = false;
    this.#replaceReason = 'failure';
    this.#conn = next;
    return next;
  }

  /** True while a connection is being written on (not detached, failed or released). */
  get hasCurrent(): boolean {
    return this.#conn !== null;
  }

  /** The current connection is being confirmed and carries nothing more: the next `get` takes another. */
  detach(): void {
    this.#conn = null;
  }

  /** Opens the next connection now, unless one is already waiting, so its handshake overlaps a confirmation. */
  openSpare(): void {
    this.#spare ??= this.#open().catch(() => null);
  }

  /** After a failure: drops the current connection and the spare; the next one counts as a reconnect. */
  fail(): void {
    this.#conn?.destroy();
    this.#conn = null;
    // Opened before the failure: the retry connects afresh, after its backoff.
    this.#dropSpare();
    this.#replacing = true;
  }

  /** Ends the connections, which carry nothing unconfirmed. */
  release(): void {
    this.#conn?.release();
    this.#conn = null;
    this.#dropSpare();
  }

  /** The spare connection if it is still usable (alive, not idle too long); a failed open leaves none. */
  async #takeSpare(): Promise<DevoConnection | undefined> {
    const pending = this.#spare;
    if (pending === null) return undefined;
    this.#spare = null;
    const spare = await pending;
    if (spare === null) return undefined;
    if (spare.alive && Date.now() - spare.openedAt <= this.#o.idleReconnectMs) return spare;
    spare.release();
    return undefined;
  }

  #dropSpare(): void {
    void this.#spare?.then((spare) => spare?.release());
    this.#spare = null;
  }

  /** Opens a connection and counts it. */
  async #open(): Promise<DevoConnection> {
    const started = performance.now();
    const next = await openDevoConnection(this.#o.target, this.#o.timeouts, { resumption: this.#resumption });
    this.#o.counters.connections++;
    if (this.#replacing) this.#o.counters.reconnects++;
    const ms = performance.now() - started;
    const { resumed } = next.info;
    this.#o.onConnection?.(
      this.#replacing
        ? { kind: 'reconnect', reason: this.#replaceReason, ms, resumed }
        : { kind: 'connect', ms, resumed },
    );
    return next;
  }
}
