import type { Socket } from 'node:net';
import { DevoError } from './errors.ts';
import { classifySocketError } from './socket-errors.ts';
import type { DevoTarget } from './tls-context.ts';

export interface ConnectionTimeouts {
  connectTimeoutMs: number;
  writeTimeoutMs: number;
  closeTimeoutMs: number;
  tlsSettleMaxMs: number;
}

export interface ConnectionInfo {
  remoteAddress: string | undefined;
  protocol: string | null;
  cipher: string | undefined;
  /** Server certificate subject/issuer/expiry as seen after verification (TLS only). */
  serverCertificate: { subject: string; issuer: string; validTo: string } | undefined;
  handshakeMs: number;
  /** True when the TLS handshake resumed a session of an earlier connection (see tls-resumption.ts). */
  resumed: boolean;
}

interface Waiter {
  resolve: () => void;
  reject: (err: DevoError) => void;
  timer: NodeJS.Timeout;
}

/**
 * An open connection carrying framed bytes. Devo never answers on the syslog channel, so the only evidence that it
 * read our bytes is an orderly close of its side after we half-close ours: `confirm()`.
 *
 * Under TLS that close is the server's close_notify, a record that comes after our half-close. Node reports a bare end
 * of stream the same way, and a reset that lands just before our half-close reads as one: the kernel hands the reset
 * to our close_notify write, whose error Node drops once it is shutting down, and the socket then reads as ended. So
 * a TLS close counts only if the TCP socket read bytes after our half-close. Those bytes are taken for the record:
 * a session ticket still unread at our half-close would pass too, and cannot be told apart from a ticket sent with
 * the close_notify in one read without reading the records. Plain TCP needs no such check: nothing is written after
 * our FIN, so a reset there is read as a reset.
 *
 * TLS 1.3 lets the client finish its handshake before the server has judged the client certificate; a server that
 * refuses it may simply close. Until the server's verdict is in (a session ticket arrives, which servers send after
 * accepting the client's Finished, or a short wait scaled to the handshake time passes), an EOF or reset is reported
 * as a refused client certificate, and `confirm()` waits for that verdict so an early close is never taken as a
 * delivery confirmation.
 */
export class DevoConnection {
  readonly socket: Socket;
  /** The TCP socket, under TLS the one beneath `socket`: its byte count includes records that carry no data. */
  readonly #transport: Socket;
  readonly #tls: boolean;
  /** The transport's byte count at our half-close. */
  #readAtHalfClose = 0;
  readonly endpoint: string;
  readonly info: ConnectionInfo;
  readonly openedAt = Date.now();
  lastWriteAt = Date.now();
  readonly #timeouts: ConnectionTimeouts;
  #error: DevoError | null = null;
  #ended = false;
  #peerEnded = false;
  #closed = false;
  #verdictIn: boolean;
  #verdict: Promise<void>;
  #endVerdict: () => void = () => {};
  #drain: Waiter | null = null;
  #close: Waiter | null = null;

  constructor(
    socket: Socket,
    transport: Socket,
    target: DevoTarget,
    timeouts: ConnectionTimeouts,
    info: ConnectionInfo,
    ticket: boolean,
  ) {
    this.socket = socket;
    this.#transport = transport;
    this.#tls = target.secureContext !== null;
    this.endpoint = target.endpoint;
    this.info = info;
    this.#timeouts = timeouts;
    this.#verdictIn = target.secureContext === null || ticket;
    this.#verdict = this.#verdictIn ? Promise.resolve() : this.#awaitVerdict(info.handshakeMs);
    socket.on('error', (err) => this.#fail(classifySocketError(err, this.#ended ? 'confirm' : 'write', this.endpoint)));
    socket.on('end', () => {
      this.#peerEnded = true;
      if (!this.#ended) this.#fail(this.#lost('closed the connection before we finished sending'));
      else if (this.#tls && this.#transport.bytesRead <= this.#readAtHalfClose) {
        this.#fail(this.#lost('ended the connection without a TLS close_notify (a reset or a cut connection)'));
      }
    });
    socket.on('close', () => {
      this.#closed = true;
      if (this.#error === null && this.#ended && this.#peerEnded) {
        this.#settle(this.#close, null);
        this.#close = null;
      } else {
        this.#fail(this.#lost('closed the connection'));
      }
    });
    socket.on('drain', () => {
      this.#settle(this.#drain, null);
      this.#drain = null;
    });
    socket.resume(); // the server sends nothing; reading keeps EOF visible
  }

  /** False once the connection failed, closed, or was half-closed by us. */
  get alive(): boolean {
    return this.#error === null && !this.#ended && !this.#closed;
  }

  get error(): DevoError | null {
    return this.#error;
  }

  /** Writes bytes; returns a promise only when the socket buffer is full and the caller must wait for drain. */
  write(data: Buffer): Promise<void> | undefined {
    if (this.#error) throw this.#error;
    this.lastWriteAt = Date.now();
    if (this.socket.write(data)) return undefined;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          new DevoError(
            'DEVO_WRITE_TIMEOUT',
            `${this.endpoint} accepted no data for ${this.#timeouts.writeTimeoutMs} ms`,
            {
              step: 'write',
              endpoint: this.endpoint,
              retriable: true,
            },
          ),
        );
      }, this.#timeouts.writeTimeoutMs);
      this.#drain = { resolve, reject, timer };
    });
  }

  /** Half-closes our side and resolves once the server has closed its side in order: delivery is confirmed. */
  async confirm(): Promise<void> {
    await this.#verdict;
    if (this.#error) throw this.#error;
    const closed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          new DevoError(
            'DEVO_CONFIRM_TIMEOUT',
            `${this.endpoint} did not close its side within ${this.#timeouts.closeTimeoutMs} ms of our half-close, ` +
              'so delivery is unconfirmed',
            { step: 'confirm', endpoint: this.endpoint, retriable: true },
          ),
        );
      }, this.#timeouts.closeTimeoutMs);
      this.#close = { resolve, reject, timer };
    });
    this.#ended = true;
    this.#readAtHalfClose = this.#transport.bytesRead;
    this.socket.end();
    return closed;
  }

  /** Ends a connection that carries nothing unconfirmed, without waiting for the server. */
  release(): void {
    if (this.#closed) return;
    this.#ended = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), this.#timeouts.closeTimeoutMs).unref();
  }

  /** Drops the connection at once; anything written on it counts as undelivered. */
  destroy(): void {
    this.#fail(this.#lost('connection abandoned by the sender'));
  }

  #awaitVerdict(handshakeMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wait = Math.min(this.#timeouts.tlsSettleMaxMs, Math.max(100, Math.ceil(3 * handshakeMs)));
      const timer = setTimeout(() => this.#endVerdict(), wait);
      timer.unref(); // the open socket keeps the process alive while anything waits on the verdict
      const onTicket = (): void => this.#endVerdict();
      this.socket.once('session', onTicket);
      this.#endVerdict = () => {
        this.#verdictIn = true;
        clearTimeout(timer);
        this.socket.removeListener('session', onTicket);
        resolve();
      };
    });
  }

  #lost(what: string): DevoError {
    const step = this.#ended ? 'confirm' : 'write';
    return new DevoError(
      step === 'confirm' ? 'DEVO_FLUSH_FAILED' : 'DEVO_CONNECTION_LOST',
      `${this.endpoint} ${what}`,
      {
        step,
        endpoint: this.endpoint,
        retriable: true,
      },
    );
  }

  #fail(err: DevoError): void {
    if (this.#error !== null) return;
    const refusedEarly = !this.#verdictIn && (err.code === 'DEVO_CONNECTION_LOST' || err.code === 'DEVO_FLUSH_FAILED');
    this.#error = refusedEarly
      ? new DevoError(
          'DEVO_TLS_CLIENT_REJECTED',
          `${this.endpoint} closed the connection right after the TLS handshake: it most likely refused our client ` +
            `certificate (check the Devo domain certificate and key) [${err.message}]`,
          { step: 'tls', endpoint: this.endpoint, osCode: err.osCode, retriable: true, cause: err },
        )
      : err;
    this.#endVerdict();
    this.#settle(this.#drain, this.#error);
    this.#settle(this.#close, this.#error);
    this.#drain = null;
    this.#close = null;
    this.socket.destroy();
  }

  #settle(waiter: Waiter | null, err: DevoError | null): void {
    if (waiter === null) return;
    clearTimeout(waiter.timer);
    if (err === null) waiter.resolve();
    else waiter.reject(err);
  }
}
