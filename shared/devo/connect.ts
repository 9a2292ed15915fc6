import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { DevoConnection, type ConnectionInfo, type ConnectionTimeouts } from './connection.ts';
import { DevoError, type DevoStep } from './errors.ts';
import { classifySocketError } from './socket-errors.ts';
import { reachesAnchor, type DevoTarget } from './tls-context.ts';
import type { TlsResumption } from './tls-resumption.ts';

/** One completed step of opening a connection, for diagnostics. */
export interface ConnectStepEvent {
  step: 'dns' | 'tcp' | 'tls';
  ms: number;
  detail: string;
}

/** TCP keepalive probe delay: below Devo's idle cut-off so a silent path failure is noticed. */
const KEEPALIVE_DELAY_MS = 30_000;

export interface OpenOptions {
  /** Told of each completed step (the connection check reports them). */
  onStep?: ((event: ConnectStepEvent) => void) | undefined;
  /** Where the sender keeps its TLS session: offered to resume, renewed once this connection is verified. */
  resumption?: TlsResumption | undefined;
}

/**
 * Opens a connection step by step (DNS → TCP → TLS) so a failure names the step that broke. The whole sequence is
 * bounded by `connectTimeoutMs`.
 */
export function openDevoConnection(
  target: DevoTarget,
  timeouts: ConnectionTimeouts,
  { onStep, resumption }: OpenOptions = {},
): Promise<DevoConnection> {
  return new Promise((resolve, reject) => {
    let step: DevoStep = isIP(target.host) === 0 ? 'dns' : 'tcp';
    let stepStart = performance.now();
    let settled = false;
    let sawTicket = false;
    /** Set once the server passed every check: only then may its sessions be kept for the next connection. */
    let verified = false;
    let unverifiedSession: Buffer | undefined;
    const tcp = netConnect({ host: target.host, port: target.port });
    let current: Socket = tcp;
    const finishStep = (detail: string): void => {
      const now = performance.now();
      onStep?.({ step: step as ConnectStepEvent['step'], ms: now - stepStart, detail });
      stepStart = now;
    };
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      current.destroy();
      tcp.destroy();
      if (step === 'tls') resumption?.forget();
      reject(classifySocketError(err, step, target.endpoint));
    };
    const timer = setTimeout(() => {
      const what = { dns: 'DNS lookup of', tcp: 'TCP connection to', tls: 'TLS handshake with' }[step as string];
      fail(
        new DevoError(
          'DEVO_CONNECT_TIMEOUT',
          `${what ?? 'connecting to'} ${target.endpoint} timed out after ${timeouts.connectTimeoutMs} ms`,
          { step, endpoint: target.endpoint, retriable: true },
        ),
      );
    }, timeouts.connectTimeoutMs);
    const done = (socket: Socket, info: ConnectionInfo, accepted = false): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeListener('error', fail);
      tcp.removeListener('error', fail);
      // Under TLS the connection reports failures through the TLS socket; the wrapped TCP socket must not crash
      // the process with an unhandled 'error' of its own.
      if (socket !== tcp) tcp.on('error', () => undefined);
      resolve(new DevoConnection(socket, tcp, target, timeouts, info, sawTicket || accepted));
    };

    tcp.on('error', fail);
    tcp.once('lookup', (err: Error | null, address: string) => {
      if (err) return;
      finishStep(`resolved to ${address}`);
      step = 'tcp';
    });
    tcp.once('connect', () => {
      finishStep(`connected to ${tcp.remoteAddress ?? '?'}:${tcp.remotePort ?? '?'}`);
      tcp.setKeepAlive(true, KEEPALIVE_DELAY_MS);
      tcp.setNoDelay(true);
      const base = { remoteAddress: tcp.remoteAddress, serverCertificate: undefined, handshakeMs: 0, resumed: false };
      if (target.secureContext === null) {
        done(tcp, { ...base, protocol: null, cipher: undefined });
        return;
      }
      step = 'tls';
      const tlsStart = performance.now();
      const secure: TLSSocket = tlsConnect({
        socket: tcp,
        host: target.host,
        servername: target.servername,
        secureContext: target.secureContext,
        rejectUnauthorized: true,
        session: resumption?.session,
      });
      current = secure;
      secure.on('error', fail);
      secure.on('session', (session: Buffer) => {
        sawTicket = true;
        if (verified) resumption?.keep(session);
        else unverifiedSession = session;
      });
      secure.once('secureConnect', () => {
        // A resumed session brings no certificates: its chain was checked by the connection that received it.
        const resumed = secure.isSessionReused();
        if (
          !resumed &&
          target.anchors !== undefined &&
          !reachesAnchor(secure.getPeerCertificate(true), target.anchors)
        ) {
          fail(
            new DevoError(
              'DEVO_TLS_SERVER_UNTRUSTED',
              `the server certificate of ${target.endpoint} is trusted only through a CA certificate inside the ` +
                'PKCS#12 bundle, not through the Devo CA chain (chain)',
              { step: 'tls', endpoint: target.endpoint, osCode: 'NOT_IN_DEVO_CHAIN' },
            ),
          );
          return;
        }
        // Decoding the certificate costs more than the rest of the step; only a caller watching the steps reads it.
        const peer = onStep === undefined ? undefined : secure.getPeerCertificate();
        const info: ConnectionInfo = {
          ...base,
          protocol: secure.getProtocol(),
          cipher: secure.getCipher()?.name,
          serverCertificate: peer?.subject
            ? { subject: formatName(peer.subject), issuer: formatName(peer.issuer), validTo: peer.valid_to }
            : undefined,
          handshakeMs: performance.now() - tlsStart,
          resumed,
        };
        verified = true;
        if (unverifiedSession !== undefined) resumption?.keep(unverifiedSession);
        finishStep(
          `${info.protocol ?? 'TLS'} ${info.cipher ?? ''}${resumed ? ' (resumed session)' : ''}, server certificate ` +
            `${info.serverCertificate?.subject}`,
        );
        // A resumed session is the server's earlier acceptance of our certificate: its verdict is already in.
        done(secure, info, resumed);
      });
    });
  });
}

function formatName(name: Record<string, unknown> | undefined): string {
  if (!name) return '';
  return Object.entries(name)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`)
    .join(', ');
}
