import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { O365Simulator, SimulatorOptions } from '../../tools/simulator/index.ts';
import { startO365Simulator } from '../../tools/simulator/index.ts';

/** Test PKI shared with the other TLS tests: a CA and a server certificate for localhost / 127.0.0.1. */
export const CERT_DIR = fileURLToPath(new URL('../support/certs/', import.meta.url));
export const CA_PATH = `${CERT_DIR}ca.pem`;
const CA = readFileSync(CA_PATH);

/** Starts a simulator with the test server certificate. */
export function startSimulator(options: Omit<SimulatorOptions, 'cert' | 'key'> = {}): Promise<O365Simulator> {
  return startO365Simulator({
    cert: readFileSync(`${CERT_DIR}server.pem`),
    key: readFileSync(`${CERT_DIR}server.key`),
    ...options,
  });
}

/** A clock tests move by hand. */
export class ManualClock {
  current: number;
  constructor(start = Date.UTC(2026, 10, 20, 12, 0, 0)) {
    this.current = start;
  }
  readonly now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface CallResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Body bytes received (all of them, or up to the failure). */
  bytes: Buffer;
  text: string;
  /** Set when the connection failed after the response started (reset, truncation). */
  error?: Error;
  /** Milliseconds until the response headers arrived, and until the body was complete. */
  headersMs: number;
  totalMs: number;
}

/**
 * One HTTPS request that trusts the test CA explicitly (verification stays on) and never reuses connections,
 * so a server-side reset cannot leak into the next call.
 */
export function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<CallResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, ca: CA, agent: false }, (res) => {
      const headersMs = performance.now() - started;
      const chunks: Buffer[] = [];
      const finish = (error?: Error): void => {
        const bytes = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes,
          text: bytes.toString('utf8'),
          headersMs,
          totalMs: performance.now() - started,
          ...(error === undefined ? {} : { error }),
        });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish());
      res.on('error', (err) => finish(err));
      res.on('aborted', () => finish(new Error('aborted')));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Gets an access token with the client secret, straight from the token endpoint (default: Management API scope). */
export async function fetchToken(sim: O365Simulator, scope: string = sim.scope): Promise<string> {
  const res = await call(sim.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      scope,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return (JSON.parse(res.text) as { access_token: string }).access_token;
}

/** A feed URL with `PublisherIdentifier` (unless `publisher` is null). */
export function feedUrl(
  sim: O365Simulator,
  path: string,
  params: Record<string, string> = {},
  publisher: string | null = sim.tenantId,
): string {
  const url = new URL(`${sim.feedRoot}/${path}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  if (publisher !== null) url.searchParams.set('PublisherIdentifier', publisher);
  return url.href;
}

/** Authenticated API call. */
export function api(url: string, token: string, method = 'GET'): Promise<CallResult> {
  return call(url, { method, headers: { authorization: `Bearer ${token}` } });
}

/** Parses an error envelope `{"error":{"code","message"}}` and returns the code. */
export function errorCode(res: CallResult): string | undefined {
  const body = JSON.parse(res.text) as { error?: { code?: string } };
  return body.error?.code;
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The documented `YYYY-MM-DDTHH:MM:SS` shape of an epoch ms. */
export const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

/** Runs `fn` against a fresh simulator on a manual clock, always closing it. */
export async function withSim(
  options: Omit<SimulatorOptions, 'cert' | 'key'>,
  fn: (sim: O365Simulator, clock: ManualClock) => Promise<void>,
): Promise<void> {
  const clock = new ManualClock();
  const sim = await startSimulator({ now: clock.now, ...options });
  try {
    await fn(sim, clock);
  } finally {
    await sim.close();
  }
}
