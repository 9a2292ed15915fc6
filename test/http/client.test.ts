import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createHttpClient,
  isHttpFailure,
  jsonBody,
  textBody,
  type HttpClientOptions,
  type RetryEvent,
} from '../../shared/http/index.ts';

interface Seen {
  path: string;
  authorization: string | undefined;
}

async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, attempt: number) => void,
): Promise<{ origin: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const attempts = new Map<string, number>();
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const n = (attempts.get(req.url ?? '') ?? 0) + 1;
    attempts.set(req.url ?? '', n);
    handler(req, res, n);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const JSON_ARRAY = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ Id: `record-${i}`, text: 'x'.repeat(40) })));
const array = (v: unknown) => (Array.isArray(v) ? v : undefined);

describe('shared HTTP client', () => {
  let api: Awaited<ReturnType<typeof startServer>>;
  let foreign: Awaited<ReturnType<typeof startServer>>;

  before(async () => {
    api = await startServer((req, res, n) => {
      const path = req.url ?? '';
      if (path === '/throttled' && n === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else if (path === '/af429' && n <= 2)
        res
          .writeHead(403, { 'content-type': 'application/json' })
          .end('{"error":{"code":"AF429","message":"Too many requests"}}');
      else if (path === '/forbidden')
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":"AF10001"}}');
      else if (path === '/expired-token' && req.headers.authorization !== 'Bearer token-2')
        res.writeHead(401).end('{"error":{"code":"InvalidAuthenticationToken"}}');
      else if (path === '/slow-headers' && n === 1) setTimeout(() => res.end('[]'), 1500);
      else if (path.startsWith('/cut-length') && n <= 2) {
        // Declares the whole body, sends half, closes: a length mismatch.
        res.writeHead(200, { 'content-length': String(JSON_ARRAY.length), 'content-type': 'application/json' });
        res.write(JSON_ARRAY.slice(0, JSON_ARRAY.length / 2));
        setTimeout(() => res.socket?.end(), 20);
      } else if (path.startsWith('/cut-chunked') && n <= 2) {
        // No length: the body stops half-way and the response ends cleanly.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON_ARRAY.slice(0, JSON_ARRAY.length / 2));
      } else if (path.startsWith('/html-200') && n <= 2) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Service Unavailable</body></html>');
      } else if (path.startsWith('/stall') && n === 1) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(JSON_ARRAY.slice(0, 100)); // then nothing: the client's idle limit must end it
      } else if (path === '/trickle') {
        // A body that keeps flowing for longer than the idle limit in total, never pausing that long.
        res.writeHead(200, { 'content-type': 'application/json' });
        const parts = JSON_ARRAY.match(/.{1,200}/g) ?? [];
        let i = 0;
        const timer = setInterval(() => {
          if (i < parts.length) res.write(parts[i++]);
          else {
            clearInterval(timer);
            res.end();
          }
        }, 40);
      } else if (path === '/reset-always') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[{"Id":');
        setTimeout(() => res.socket?.resetAndDestroy(), 10);
      } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON_ARRAY);
    });
    foreign = await startServer((_req, res) => res.end('should never be reached'));
  });
  after(() => {
    api.server.close();
    foreign.server.close();
  });

  const client = (
    retries: RetryEvent[] = [],
    bearer: { getToken: () => Promise<string>; invalidate?: () => void } = { getToken: async () => 'token-123' },
    extra: Partial<HttpClientOptions> = {},
  ) =>
    createHttpClient({
      allowedOrigins: [api.origin],
      bearer: { ...bearer, origin: api.origin },
      timeoutMs: 500,
      retryLimit: 3,
      maxRetryDelayMs: 2000,
      baseRetryDelayMs: 50,
      isRetryableResponse: (status, body) => status === 403 && body.includes('"AF429"'),
      onRetry: (e) => retries.push(e),
      ...extra,
    });
  const get = (c: ReturnType<typeof client>, path: string, origin = api.origin) =>
    c.fetch({ url: new URL(`${origin}${path}`) }, jsonBody(array, 'an array')).then((r) => r.value);

  it('sends the bearer token to the API origin', async () => {
    assert.equal((await get(client(), '/plain')).length, 50);
    assert.equal(api.seen.at(-1)?.authorization, 'Bearer token-123');
  });

  it('refuses any other origin before sending anything, and does not retry that', async () => {
    await assert.rejects(get(client(), '/steal', foreign.origin), (err) => {
      assert.ok(isHttpFailure(err) && err.reason === 'refused' && !err.transient, String(err));
      return true;
    });
    assert.equal(foreign.seen.length, 0);
  });

  it('waits out Retry-After on 429 and then succeeds', async () => {
    const retries: RetryEvent[] = [];
    assert.equal((await get(client(retries), '/throttled')).length, 50);
    assert.equal(retries[0]?.delayMs, 1000);
    assert.equal(retries[0]?.statusCode, 429);
  });

  it('retries a throttle code inside HTTP 403, but not other 403s', async () => {
    assert.equal((await get(client(), '/af429')).length, 50);
    await assert.rejects(get(client(), '/forbidden'), (err) => isHttpFailure(err) && err.statusCode === 403);
    assert.equal(api.seen.filter((s) => s.path === '/forbidden').length, 1);
  });

  it('renews the token once after a 401, and gives up if the new one is refused too', async () => {
    let issued = 1;
    const bearer = { getToken: async () => `token-${issued}`, invalidate: () => (issued += 1) };
    assert.equal((await get(client([], bearer), '/expired-token')).length, 50);
    assert.equal(issued, 2);
    issued = 5;
    await assert.rejects(get(client([], bearer), '/expired-token'), /401/);
    assert.equal(issued, 6, 'renewed once only');
  });

  it('retries when the headers do not come in time', async () => {
    const retries: RetryEvent[] = [];
    assert.equal((await get(client(retries), '/slow-headers')).length, 50);
    assert.equal(retries[0]?.errorCode, 'ETIMEDOUT');
  });

  for (const [path, what] of [
    ['/cut-length', 'a body shorter than its Content-Length'],
    ['/cut-chunked', 'a chunked body that stops half-way'],
    ['/html-200', 'an HTML page answered with 200'],
    ['/stall', 'a body that stalls half-way'],
  ] as const) {
    it(`retries ${what} in place, like a 5xx`, async () => {
      const retries: RetryEvent[] = [];
      const own = `${path}-${Math.random().toString(36).slice(2)}`;
      assert.equal((await get(client(retries), own)).length, 50);
      assert.ok(retries.length >= 1, 'it was retried');
    });
  }

  it('keeps reading a body that flows for longer than the idle limit', async () => {
    const retries: RetryEvent[] = [];
    const value = await get(client(retries), '/trickle');
    assert.equal(value.length, 50);
    assert.deepEqual(retries, []);
  });

  it('does not count time spent in the reader against the idle limit', async () => {
    let chunks = 0;
    const { value } = await client().fetch({ url: new URL(`${api.origin}/plain`) }, () => {
      const inner = textBody()();
      return {
        async chunk(data) {
          chunks += 1;
          // A paused outbox: far longer than the 500 ms idle limit.
          await new Promise((resolve) => setTimeout(resolve, 800));
          inner.chunk(data);
        },
        end: () => inner.end(),
      };
    });
    assert.ok(chunks >= 1);
    assert.equal(value, JSON_ARRAY);
  });

  it('reports a failure that outlasts the retries as transient, with the attempts made', async () => {
    await assert.rejects(get(client(), '/reset-always'), (err) => {
      assert.ok(isHttpFailure(err), String(err));
      assert.equal(err.transient, true);
      assert.equal(err.attempts, 4);
      return true;
    });
  });

  it('never starts a retry wait that ends past the budget', async () => {
    const retries: RetryEvent[] = [];
    const c = client(retries, undefined, { baseRetryDelayMs: 5000, budget: { deadline: Date.now() + 2000 } });
    await assert.rejects(get(c, '/reset-always'), (err) => isHttpFailure(err) && err.message.includes('time left'));
    assert.deepEqual(retries, [], 'a 5 s backoff does not fit in a 2 s budget');
  });

  it('aborts a request in flight at the hard deadline', async () => {
    const controller = new AbortController();
    const c = client([], undefined, {
      timeoutMs: 60_000,
      budget: { deadline: Date.now() + 60_000, signal: controller.signal },
    });
    const pending = get(c, '/stall-forever');
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending, (err) => isHttpFailure(err) && err.reason === 'deadline' && !err.transient);
  });
});
