import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TRUNCATION_MARKER } from '../../shared/devo/event-cap.ts';
import { DEVO_CHECK_TAG, checkDevoConnection } from '../../shared/devo/index.ts';
import {
  pfxSettingsFor,
  settingsFor,
  startDevoReceiver,
  testCerts,
  type DevoReceiver,
} from '../support/devo-receiver.ts';

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
        ['oversized', true],
        ['confirm', true],
      ],
    );
    assert.equal(result.endpoint, `localhost:${receiver.port}`);
    assert.equal(result.profile?.credential, 'pem');
    assert.match(result.profile?.securityLevel.text ?? '', /^default \(OpenSSL level 1\)$/);
    assert.equal(result.profile?.maxEventBytes, 262_144);
    assert.ok(typeof result.roundTripMs === 'number' && result.roundTripMs >= 0);
    assert.match(result.steps[0]?.detail ?? '', /PEM certificate and key .*CN=test-domain/);
    assert.match(result.steps[3]?.detail ?? '', /TLSv1\.[23]/);
    const line = receiver.byTag.get(DEVO_CHECK_TAG)?.at(-2);
    assert.equal(line?.hostname, 'check-host');
    assert.equal((JSON.parse(line?.message ?? '{}') as { host?: string }).host, 'check-host');
  });

  it('works with a PKCS#12 bundle and reports the oversized event cut to the cap and confirmed', async () => {
    const before = receiver.byTag.get(DEVO_CHECK_TAG)?.length ?? 0;
    const result = await checkDevoConnection(pfxSettingsFor(receiver, { maxEventBytes: 4_096 }), { hostname: 'h' });
    assert.equal(result.ok, true, result.problem);
    assert.equal(result.profile?.credential, 'pkcs12');
    assert.match(
      result.steps[0]?.detail ?? '',
      /^PKCS#12 bundle \(DEVO_PFX, with its passphrase\): "O=o365-devo-functions tests, CN=test-domain" valid until .*; chain of 1/,
    );
    assert.deepEqual(result.oversized && { ...result.oversized, originalBytes: undefined }, {
      originalBytes: undefined,
      sentBytes: 4_096,
      maxEventBytes: 4_096,
      truncated: true,
    });
    assert.ok((result.oversized?.originalBytes ?? 0) > 4_096);
    assert.match(result.steps.find((s) => s.step === 'oversized')?.detail ?? '', /cut to 4096 \(cap 4096\)/);
    // What the receiver got: the cut event, marker at its end, no longer than the cap with its LF.
    const lines = receiver.byTag.get(DEVO_CHECK_TAG) ?? [];
    assert.equal(lines.length, before + 2);
    const cut = lines.at(-1);
    assert.ok(cut !== undefined);
    assert.ok(cut.message.endsWith(TRUNCATION_MARKER), 'the marker ends the received event');
    assert.ok(cut.message.startsWith('{"check":"o365-devo oversized event"'));
    assert.equal(cut.raw.length + 1, 4_096);
  });

  it('reports a lowered security level with its warning, and delivers', async () => {
    const result = await checkDevoConnection(settingsFor(receiver, { tlsSecurityLevel: 0 }));
    assert.equal(result.ok, true, result.problem);
    assert.equal(result.profile?.securityLevel.lowered, true);
    assert.match(result.profile?.securityLevel.text ?? '', /lowered to 0 .*WARNING.*weakens TLS/);
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
