import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createHttpClient, isHostNotAllowed, type RetryEvent } from '../../shared/http/index.ts';

interface Seen {
  path: string;
  authorization: string | undefined;
}

async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ origin: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

describe('shared HTTP client', () => {
  let api: Awaited<ReturnType<typeof startServer>>;
  let foreign: Awaited<ReturnType<typeof startServer>>;
  const attempts = new Map<string, number>();

  before(async () => {
    api = await startServer((req, res) => {
      const n = (attempts.get(req.url ?? '') ?? 0) + 1;
      attempts.set(req.url ?? '', n);
      if (req.url === '/throttled' && n === 1) {
        res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      } else if (req.url === '/af429' && n <= 2) {
        res
          .writeHead(403, { 'content-type': 'application/json' })
          .end('{"error":{"code":"AF429","message":"Too many requests"}}');
      } else if (req.url === '/forbidden') {
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":"AF10001"}}');
      } else if (req.url === '/expired-token' && req.headers.authorization !== 'Bearer token-2') {
        res.writeHead(401).end('{"error":{"code":"InvalidAuthenticationToken"}}');
      } else if (req.url === '/slow' && n === 1) {
        setTimeout(() => res.end('late'), 1500);
      } else {
        res.end(`ok ${n}`);
      }
    });
    foreign = await startServer((_req, res) => res.end('should never be reached'));
  });
  after(() => {
    api.server.close();
    foreign.server.close();
  });

  const client = (
    retries: RetryEvent[] = [],
    bearer = { origin: '', getToken: async () => 'token-123' } as {
      origin: string;
      getToken: () => Promise<string>;
      invalidate?: () => void;
    },
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
    });

  it('sends the bearer token to the API origin', async () => {
    assert.equal(await client()(`${api.origin}/plain`).text(), 'ok 1');
    assert.equal(api.seen.at(-1)?.authorization, 'Bearer token-123');
  });

  it('refuses any other origin before sending anything', async () => {
    await assert.rejects(client()(`${foreign.origin}/steal`).text(), (err) => {
      assert.ok(isHostNotAllowed(err), String(err));
      return true;
    });
    assert.equal(foreign.seen.length, 0);
  });

  it('waits out Retry-After on 429 and then succeeds', async () => {
    const retries: RetryEvent[] = [];
    const started = Date.now();
    assert.equal(await client(retries)(`${api.origin}/throttled`).text(), 'ok 2');
    assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
    assert.equal(retries[0]?.delayMs, 1000);
    assert.equal(retries[0]?.statusCode, 429);
  });

  it('retries a throttle code inside HTTP 403, but not other 403s', async () => {
    assert.equal(await client()(`${api.origin}/af429`).text(), 'ok 3');
    await assert.rejects(client()(`${api.origin}/forbidden`).text(), /403/);
    assert.equal(attempts.get('/forbidden'), 1);
  });

  it('renews the token once after a 401, and gives up if the new one is refused too', async () => {
    let issued = 1;
    const bearer = { origin: '', getToken: async () => `token-${issued}`, invalidate: () => (issued += 1) };
    assert.equal(await client([], bearer)(`${api.origin}/expired-token`).text(), `ok 2`);
    assert.equal(issued, 2);
    issued = 5;
    await assert.rejects(client([], bearer)(`${api.origin}/expired-token`).text(), /401/);
    assert.equal(issued, 6, 'renewed once only');
  });

  it('retries a request that timed out', async () => {
    const retries: RetryEvent[] = [];
    assert.equal(await client(retries)(`${api.origin}/slow`).text(), 'ok 2');
    assert.equal(retries[0]?.errorCode, 'ETIMEDOUT');
  });
});
