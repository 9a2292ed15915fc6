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

    child.kill('SIGTERM');
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0);
    assert.match(
      stderr.join(''),
      /GET \/api\/v1\.0\/.*\/subscriptions\/list -> 200 \[list\]/,
      'one log line per request',
    );
  } finally {
    clearTimeout(timer);
  }
});
