/**
 * The ceiling the collector is compared with: the same blobs listed and fetched over the same HTTPS, each record
 * written as one syslog line to the same receiver with the same client certificate. No dedupe, no state, no
 * retries, no checkpoints: everything the product adds is what the ratio measures.
 */
import { Agent, request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';

export interface PipeOptions {
  origin: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  resource: string;
  contentType: string;
  /** Listing range (epoch ms), cut into windows of at most 24 h as the API requires. */
  startMs: number;
  endMs: number;
  /** Blobs fetched at once; the product's default MANAGEMENT_FETCH_CONCURRENCY. */
  concurrency: number;
  /** Where lines go; none: fetch and split only, to show how fast the simulator serves. */
  devo?: { host: string; port: number; cert: string; key: string; ca: string; tag: string };
}

export interface PipeResult {
  blobs: number;
  records: number;
  listRequests: number;
}

const DAY = 86_400_000;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function get(url: string, headers: Record<string, string>, method = 'GET', body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function token(o: PipeOptions): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: o.clientId,
    client_secret: o.clientSecret,
    scope: `${o.resource}/.default`,
  }).toString();
  const reply = await get(
    `${o.origin}/${o.tenantId}/oauth2/v2.0/token`,
    { 'content-type': 'application/x-www-form-urlencoded' },
    'POST',
    form,
  );
  const parsed = JSON.parse(reply.body.toString('utf8')) as { access_token?: string };
  if (parsed.access_token === undefined) throw new Error(`token request failed: ${reply.status}`);
  return parsed.access_token;
}

/** Calls `onRecord` with each top-level object of a JSON array, as the bytes sent (nothing parsed or re-encoded). */
export function splitArray(body: Buffer, onRecord: (record: Buffer) => void): void {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const b = body[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (b === 0x5c) escaped = true;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x7b) {
      if (depth === 0) start = i;
      depth += 1;
    } else if (b === 0x7d) {
      depth -= 1;
      if (depth === 0) onRecord(body.subarray(start, i + 1));
    }
  }
}

async function openDevo(devo: NonNullable<PipeOptions['devo']>): Promise<TLSSocket> {
  const socket = connect({ host: devo.host, port: devo.port, cert: devo.cert, key: devo.key, ca: devo.ca });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

export async function runPipe(o: PipeOptions): Promise<PipeResult> {
  const auth = { authorization: `Bearer ${await token(o)}` };
  const socket = o.devo === undefined ? undefined : await openDevo(o.devo);
  const prefix = Buffer.from(`<14>Jan  1 00:00:00 bench ${o.devo?.tag ?? ''}: `);
  const lf = Buffer.from('\n');
  const result: PipeResult = { blobs: 0, records: 0, listRequests: 0 };
  const queue: string[] = [];
  let listing = true;
  const waiting: Array<() => void> = [];
  const wake = (): void => waiting.splice(0).forEach((resolve) => resolve());

  const list = async (): Promise<void> => {
    for (let from = o.startMs; from < o.endMs; from += DAY) {
      const window = `startTime=${new Date(from).toISOString()}&endTime=${new Date(Math.min(from + DAY, o.endMs)).toISOString()}`;
      let next: string | undefined =
        `${o.origin}/api/v1.0/${o.tenantId}/activity/feed/subscriptions/content?contentType=${o.contentType}&${window}`;
      while (next !== undefined) {
        const page = await get(next, auth);
        result.listRequests += 1;
        if (page.status !== 200) throw new Error(`listing failed: ${page.status} ${page.body.toString('utf8')}`);
        for (const d of JSON.parse(page.body.toString('utf8')) as Array<{ contentUri: string }>)
          queue.push(d.contentUri);
        wake();
        const header = page.headers.nextpageuri;
        next = typeof header === 'string' ? header : undefined;
      }
    }
    listing = false;
    wake();
  };

  const fetcher = async (): Promise<void> => {
    for (;;) {
      const uri = queue.shift();
      if (uri === undefined) {
        if (!listing) return;
        await new Promise<void>((resolve) => waiting.push(resolve));
        continue;
      }
      const blob = await get(uri, auth);
      if (blob.status !== 200) throw new Error(`blob fetch failed: ${blob.status}`);
      const parts: Buffer[] = [];
      splitArray(blob.body, (record) => {
        result.records += 1;
        if (socket !== undefined) parts.push(prefix, record, lf);
      });
      result.blobs += 1;
      if (socket !== undefined && !socket.write(Buffer.concat(parts)))
        await new Promise((resolve) => socket.once('drain', resolve));
    }
  };

  await Promise.all([list(), ...Array.from({ length: o.concurrency }, fetcher)]);
  if (socket !== undefined) {
    socket.end();
    await new Promise((resolve) => socket.once('close', resolve));
  }
  agent.destroy();
  return result;
}
