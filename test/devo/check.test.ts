import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEVO_CHECK_TAG, checkDevoConnection } from '../../shared/devo/index.ts';
import { settingsFor, startDevoReceiver, testCerts, type DevoReceiver } from '../support/devo-receiver.ts';

describe('checkDevoConnection', () => {
  let receiver: DevoReceiver;
  before(async () => {
    receiver = await startDevoReceiver();
  });
  after(() => receiver.close());

  it('walks every step and delivers one confirmed test event', async () => {
    const result = await checkDevoConnection(settingsFor(receiver, { host: 'localhost' }), { hostname: 'check-host' });
    assert.equal(result.ok, true, result.problem);
    assert.deepEqual(
      result.steps.map((s) => [s.step, s.ok]),
      [
        ['settings', true],
        ['dns', true],
        ['tcp', true],
        ['tls', true],
        ['send', true],
        ['confirm', true],
      ],
    );
    assert.equal(result.endpoint, `localhost:${receiver.port}`);
    assert.ok(typeof result.roundTripMs === 'number' && result.roundTripMs >= 0);
    assert.match(result.steps[0]?.detail ?? '', /CN=test-domain/);
    assert.match(result.steps[3]?.detail ?? '', /TLSv1\.[23]/);
    const line = receiver.byTag.get(DEVO_CHECK_TAG)?.[0];
    assert.equal(line?.hostname, 'check-host');
    assert.equal((JSON.parse(line?.message ?? '{}') as { host?: string }).host, 'check-host');
  });

  it('names the TLS step and certificate verification when our chain is the wrong CA', async () => {
    const result = await checkDevoConnection(settingsFor(receiver, { chain: testCerts().otherCa }));
    assert.equal(result.ok, false);
    assert.equal(result.failure, 'server-certificate');
    assert.equal(result.steps.at(-1)?.step, 'tls');
    assert.equal(result.error?.code, 'DEVO_TLS_SERVER_UNTRUSTED');
    assert.match(result.problem ?? '', /could not verify the server certificate/);
    assert.match(result.problem ?? '', /certificate verification failed/);
  });

  it('says the server rejected our certificate when it refuses the client certificate', async () => {
    const c = testCerts();
    const result = await checkDevoConnection(settingsFor(receiver, { cert: c.otherClientCert, key: c.otherClientKey }));
    assert.equal(result.ok, false);
    assert.equal(result.failure, 'client-certificate');
    assert.match(result.advice ?? '', /Certificate rejected by the server/);
  });

  it('names the TCP step when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const result = await checkDevoConnection(settingsFor({ host: '127.0.0.1', port }));
    assert.equal(result.failure, 'tcp');
    assert.deepEqual(
      result.steps.map((s) => s.step),
      ['settings', 'tcp'],
    );
    assert.match(result.problem ?? '', /ECONNREFUSED/);
  });

  it('names the DNS step for a name that does not resolve', async () => {
    const result = await checkDevoConnection(settingsFor({ host: 'devo-collector.invalid', port: 443 }), {
      connectTimeoutMs: 4_000,
    });
    assert.equal(result.ok, false);
    assert.ok(result.failure === 'dns' || result.failure === 'timeout', result.failure);
    assert.equal(result.steps.at(-1)?.step, 'dns');
    assert.match(result.problem ?? '', /DNS/);
  });

  it('reports unusable settings as the settings step', async () => {
    const result = await checkDevoConnection(settingsFor(receiver, { key: undefined }));
    assert.equal(result.failure, 'settings');
    assert.equal(result.error?.code, 'DEVO_TLS_MISSING_CREDENTIALS');
    assert.deepEqual(
      result.steps.map((s) => [s.step, s.ok]),
      [['settings', false]],
    );
  });
});
