import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { FaultSpec, O365Simulator } from '../../tools/simulator/index.ts';
import type { CallResult } from './helpers.ts';
import { api, CA_PATH, fetchToken, withSim } from './helpers.ts';

const CA = readFileSync(CA_PATH);

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A blob of `records` records, its URL and the exact body the server sends for it. */
function blobOf(sim: O365Simulator, minRecords: number): { url: string; body: string } {
  const d = sim.contentDescriptors('Audit.Exchange').find((x) => sim.blobRecords(x.contentId).length >= minRecords);
  assert.ok(d !== undefined, `a blob with at least ${minRecords} records`);
  return { url: d.contentUri, body: `[${sim.blobRecords(d.contentId).join(',')}]` };
}

/** A small blob (one chunk, string body) and a large one (streamed from a factory, many chunks). */
const SHAPES = [
  { name: 'whole body', minRecords: 1, options: {} },
  {
    name: 'streamed large blob',
    minRecords: 2000,
    options: { data: { largeBlobs: [{ contentType: 'Audit.Exchange' as const, records: 2000 }] } },
  },
];

/** Runs `fn` against a simulator with one fault on the blob route, for each body shape. */
async function eachShape(
  fault: FaultSpec,
  fn: (res: CallResult, full: string, shape: string) => void | Promise<void>,
): Promise<void> {
  for (const shape of SHAPES) {
    await withSim(shape.options, async (sim) => {
      const token = await fetchToken(sim);
      const blob = blobOf(sim, shape.minRecords);
      sim.faults.add({ ...fault, match: { route: 'blob' } });
      await fn(await api(blob.url, token), blob.body, shape.name);
      const after = await api(blob.url, token);
      assert.equal(after.text, blob.body, `${shape.name}: the next request is served whole`);
    });
  }
}

describe('cut-off bodies', () => {
  it('truncated-length declares the full Content-Length, sends part, and the client sees a premature close', () =>
    eachShape({ kind: 'truncated-length' }, (res, full, shape) => {
      assert.equal(res.status, 200, shape);
      assert.equal(res.headers['content-length'], String(Buffer.byteLength(full)), shape);
      assert.ok(res.error !== undefined, `${shape}: the client notices the body is short`);
      assert.ok(res.bytes.length > 0 && res.bytes.length < Buffer.byteLength(full), shape);
      assert.ok(full.startsWith(res.text), `${shape}: what arrived is the start of the real body`);
    }));

  it('truncated-chunked ends a chunked body cleanly half-way: valid HTTP, invalid JSON', () =>
    eachShape({ kind: 'truncated-chunked' }, (res, full, shape) => {
      assert.equal(res.status, 200, shape);
      assert.equal(res.headers['content-length'], undefined, shape);
      assert.equal(res.headers['transfer-encoding'], 'chunked', shape);
      assert.equal(res.error, undefined, `${shape}: the response ends properly`);
      assert.ok(res.text.length > 0 && full.startsWith(res.text) && res.text !== full, shape);
      assert.equal(parses(res.text), false, shape);
    }));

  it('malformed-json sends a complete response whose Content-Length matches a cut document', () =>
    eachShape({ kind: 'malformed-json' }, (res, full, shape) => {
      assert.equal(res.status, 200, shape);
      assert.equal(res.error, undefined, shape);
      assert.equal(res.headers['content-length'], String(res.bytes.length), shape);
      assert.ok(res.bytes.length < Buffer.byteLength(full), shape);
      assert.equal(parses(res.text), false, shape);
    }));
});

/** GET with an idle timeout on the socket: resolves with what arrived before the client gave up (or the end). */
function getWithIdleTimeout(
  url: string,
  token: string,
  idleMs: number,
): Promise<{ status: number; bytes: number; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let status = 0;
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, ca: CA, agent: false }, (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status, bytes, timedOut: false }));
      res.on('error', () => undefined);
    });
    req.setTimeout(idleMs, () => {
      resolve({ status, bytes, timedOut: true });
      req.destroy();
    });
    req.on('error', (err) => (status === 0 ? reject(err) : undefined));
    req.end();
  });
}

describe('stalled bodies', () => {
  it('stall-body sends headers and part of the body, then nothing: only an idle timeout ends the wait', () =>
    withSim({}, async (sim) => {
      const token = await fetchToken(sim);
      const blob = blobOf(sim, 1);
      sim.faults.add({ match: { route: 'blob' }, kind: 'stall-body', delayMs: 600_000 });
      const res = await getWithIdleTimeout(blob.url, token, 300);
      assert.equal(res.status, 200);
      assert.equal(res.timedOut, true);
      assert.ok(res.bytes > 0 && res.bytes < Buffer.byteLength(blob.body), `${res.bytes} bytes before the stall`);
      // close() must not wait for the ten-minute stall.
    }));

  it('stall-body closes the connection after delayMs, leaving the body short', () =>
    eachShape({ kind: 'stall-body', delayMs: 30 }, (res, full, shape) => {
      assert.equal(res.status, 200, shape);
      assert.ok(res.error !== undefined, `${shape}: the connection closed before the body was complete`);
      assert.ok(res.bytes.length > 0 && res.bytes.length < Buffer.byteLength(full), shape);
      assert.ok(full.startsWith(res.text), shape);
    }));
});
