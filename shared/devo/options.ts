import { hostname as osHostname } from 'node:os';
import type { DevoSettings } from '../config/settings-types.ts';
import { DevoError } from './errors.ts';
import { DEFAULT_MAX_EVENT_BYTES, MAX_MAX_EVENT_BYTES, MIN_MAX_EVENT_BYTES } from './event-cap.ts';
import { DEFAULT_PRIORITY, isValidSyslogHostname } from './framing.ts';

/** Tuning knobs of the sender; every one has a default matching Devo's reference SDK behaviour. */
export interface DevoSenderTuning {
  /** Syslog HOSTNAME field. Default: the OS host name. */
  hostname?: string;
  /** Syslog PRI value (facility × 8 + severity). Default 14. */
  priority?: number;
  connectTimeoutMs?: number;
  /** Longest wait for the socket to drain before the connection is declared stuck. */
  writeTimeoutMs?: number;
  /** A connection unused for longer than this is replaced before the next write (Devo drops idle connections). */
  idleReconnectMs?: number;
  maxConnectionAgeMs?: number;
  /** Gzip mode: a member is cut once the uncompressed buffer exceeds this many bytes. */
  gzipMemberBytes?: number;
  /** Gzip mode: a member is cut once its oldest line is this old. */
  gzipMaxAgeMs?: number;
  /**
   * zlib level of gzip members. Default 1: measured at about twice the throughput of zlib's default 6 (what Devo's
   * Python SDK uses) for members ~10% larger; Devo only sees the decompressed bytes. Level 6 reproduces the SDK's
   * header byte for byte (level 1 sets the header's XFL byte to 04).
   */
  gzipLevel?: number;
  /** Longest wait for the server to close its side after our half-close (the delivery confirmation). */
  closeTimeoutMs?: number;
  /** Connection attempts per flush (and per background write run) before giving up. */
  retryAttempts?: number;
  /** First retry delay; doubles per attempt. */
  retryBaseDelayMs?: number;
  /** `send()` returns false once this many bytes wait to be written; `ready()` resolves below half of it. */
  highWaterBytes?: number;
  /**
   * Upper bound of the wait, after a TLS handshake, for the server's verdict on our certificate (see connection.ts).
   */
  tlsSettleMaxMs?: number;
}

export type DevoSenderOptions = DevoSettings & DevoSenderTuning;

export type ResolvedDevoOptions = DevoSettings & Required<DevoSenderTuning> & { maxEventBytes: number };

export const DEVO_DEFAULTS = {
  priority: DEFAULT_PRIORITY,
  connectTimeoutMs: 10_000,
  writeTimeoutMs: 30_000,
  idleReconnectMs: 30_000,
  maxConnectionAgeMs: 3_600_000,
  gzipMemberBytes: 19_500,
  gzipMaxAgeMs: 10_000,
  gzipLevel: 1,
  closeTimeoutMs: 30_000,
  retryAttempts: 5,
  retryBaseDelayMs: 250,
  highWaterBytes: 4 * 1024 * 1024,
  tlsSettleMaxMs: 1_000,
} as const satisfies Omit<Required<DevoSenderTuning>, 'hostname'>;

/** The OS host name made safe for the syslog HOSTNAME field. */
export function defaultSyslogHostname(): string {
  const cleaned = osHostname().replace(/[^\x21-\x7e]/g, '-');
  return cleaned.length > 0 ? cleaned : 'localhost';
}

function invalid(message: string): DevoError {
  return new DevoError('DEVO_OPTIONS_INVALID', message, { step: 'settings' });
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`Devo sender option ${name} must be an integer between ${min} and ${max}, got ${String(value)}`);
  }
}

/** Applies defaults and checks ranges; credentials are checked separately when the TLS context is built. */
export function resolveDevoOptions(options: DevoSenderOptions): ResolvedDevoOptions {
  const resolved = {
    ...DEVO_DEFAULTS,
    ...stripUndefined(options),
    hostname: options.hostname ?? defaultSyslogHostname(),
    maxEventBytes: options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
  } as ResolvedDevoOptions;
  if (typeof resolved.host !== 'string' || resolved.host.trim() === '') throw invalid('Devo host is empty');
  checkInteger('port', resolved.port, 1, 65_535);
  if (resolved.compression !== 'none' && resolved.compression !== 'gzip') {
    throw invalid(`Devo compression must be "none" or "gzip", got ${JSON.stringify(resolved.compression)}`);
  }
  if (!isValidSyslogHostname(resolved.hostname)) {
    throw invalid(`syslog hostname ${JSON.stringify(resolved.hostname)} must be printable ASCII without spaces`);
  }
  checkInteger('priority', resolved.priority, 0, 191);
  checkInteger('gzipLevel', resolved.gzipLevel, 0, 9);
  checkInteger('retryAttempts', resolved.retryAttempts, 1, 100);
  checkInteger('maxEventBytes', resolved.maxEventBytes, MIN_MAX_EVENT_BYTES, MAX_MAX_EVENT_BYTES);
  if (resolved.tlsSecurityLevel !== undefined) checkInteger('tlsSecurityLevel', resolved.tlsSecurityLevel, 0, 5);
  for (const name of [
    'connectTimeoutMs',
    'writeTimeoutMs',
    'idleReconnectMs',
    'maxConnectionAgeMs',
    'gzipMemberBytes',
    'gzipMaxAgeMs',
    'closeTimeoutMs',
    'retryBaseDelayMs',
    'highWaterBytes',
    'tlsSettleMaxMs',
  ] as const) {
    checkInteger(name, resolved[name], 0, 2 ** 31 - 1);
  }
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
