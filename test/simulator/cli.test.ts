import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { call, CERT_DIR } from './helpers.ts';

const CLI = fileURLToPath(new URL('../../tools/simulator/cli.ts', import.meta.url));

it('starts from the command line with given certificates, prints origin and credentials, and stops on SIGTERM', async (t) => {
  const child = spawn(
    process.execPath,
    [CLI, '--port', '0', '--cert', `${CERT_DIR}server.pem`, '--key', `${CERT_DIR}server.key`, '--json', '--seed', '5'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const stderr: string[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const info = JSON.parse(line) as Record<string, string>;
    assert.match(info.origin ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.caCertificate, undefined, 'explicit certificates: no hint about the test CA');

    const token = await call(`${info.origin}/${info.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: info.clientId!,
        client_secret: info.clientSecret!,
        scope: info.scope!,
      }).toString(),
    });
    assert.equal(token.status, 200, token.text);
    const accessToken = (JSON.parse(token.text) as { access_token: string }).access_token;
    const list = await call(`${info.feedRoot}/subscriptions/list?PublisherIdentifier=${info.tenantId}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    assert.equal(list.status, 200);

    assert.match(
      info.messageTracesUrl ?? '',
      /^https:\/\/127\.0\.0\.1:\d+\/v1\.0\/admin\/exchange\/tracing\/messageTraces$/,
    );
    assert.match(info.rwsMessageTraceUrl ?? '', /\/ecp\/reportingwebservice\/reporting\.svc\/MessageTrace$/);
    const graphToken = await call(`${info.origin}/${info.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: info.clientId!,
        client_secret: info.clientSecret!,
        scope: info.graphScope!,
      }).toString(),
    });
    const traces = await call(`${info.messageTracesUrl}?$top=1`, {
      headers: { authorization: `Bearer ${(JSON.parse(graphToken.text) as { access_token: string }).access_token}` },
    });
    assert.equal(traces.status, 200, traces.text);

    child.kill('SIGTERM');
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0);
    assert.match(
      stderr.join(''),
      /GET \/api\/v1\.0\/.*\/subscriptions\/list -> 200 \[list\]/,
      'one log line per request',
    );
    assert.match(stderr.join(''), /GET \/v1\.0\/admin\/exchange\/tracing\/messageTraces -> 200 \[graph\]\n/);
  } finally {
    clearTimeout(timer);
  }
});

it('prints message trace settings for both back ends', async (t) => {
  const child = spawn(
    process.execPath,
    [CLI, '--port', '0', '--quiet', '--messages', '3', '--graph-resource', 'https://graph.microsoft.com'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines: string[] = [];
  const input = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    for await (const line of input) {
      lines.push(line);
      if (line.includes('MESSAGE_TRACE_API=rws')) break;
    }
    const text = lines.join('\n');
    assert.match(
      text,
      /MESSAGE_TRACE_API=graph MESSAGE_TRACE_URL=https:\/\/127\.0\.0\.1:\d+ MESSAGE_TRACE_RESOURCE=https:\/\/graph\.microsoft\.com/,
    );
    assert.match(
      text,
      /MESSAGE_TRACE_API=rws MESSAGE_TRACE_URL=https:\/\/127\.0\.0\.1:\d+ MESSAGE_TRACE_RESOURCE=https:\/\/127\.0\.0\.1:\d+/,
    );
    assert.match(text, /messageTracesUrl\s+https:\/\/127\.0\.0\.1:\d+\/v1\.0\/admin\/exchange\/tracing\/messageTraces/);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0);
  } finally {
    clearTimeout(timer);
  }
});

it('disturbs data requests with --chaos and logs the fault of each', async (t) => {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--json', '--chaos', '1', '--chaos-stall-ms', '20'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const stderr: string[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const info = JSON.parse(line) as Record<string, string>;
    const token = await call(`${info.origin}/${info.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: info.clientId!,
        client_secret: info.clientSecret!,
        scope: info.scope!,
      }).toString(),
    });
    assert.equal(token.status, 200, 'the token route is not disturbed by default');
    const accessToken = (JSON.parse(token.text) as { access_token: string }).access_token;
    for (let i = 0; i < 4; i++) {
      const list = await call(`${info.feedRoot}/subscriptions/list?PublisherIdentifier=${info.tenantId}`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      const parsed = list.error === undefined && list.status === 200 && parsesAsJson(list.text);
      assert.equal(parsed, false, `request ${i} was disturbed`);
    }
    const faultLines = (): number => stderr.join('').match(/\[list, fault [\w-]+\]/g)?.length ?? 0;
    // The line is written once the reply is done, which may be just after the client saw it end.
    while (faultLines() < 4 && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0);
    assert.equal(faultLines(), 4, stderr.join(''));
  } finally {
    clearTimeout(timer);
  }
});

it('refuses a --chaos rate outside 0..1', async () => {
  const child = spawn(process.execPath, [CLI, '--port', '0', '--chaos', '1.5'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.on('data', (c: Buffer) => stderr.push(c.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 2);
  assert.match(stderr.join(''), /--chaos: expected a number within 0\.\.1/);
});

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
