import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { TRUNCATION_MARKER } from '../../shared/devo/event-cap.ts';
import { DevoSender, buildSecureContext, isDevoError } from '../../shared/devo/index.ts';
import {
  NODE_DEFAULT_SECURITY_LEVEL,
  securityLevelCiphers,
  securityLevelWarning,
} from '../../shared/devo/tls-context.ts';
import {
  pfxSettingsFor,
  settingsFor,
  startDevoReceiver,
  testCerts,
  type DevoReceiver,
} from '../support/devo-receiver.ts';

const weak = (name: string): string => readFileSync(new URL(`../support/certs/${name}`, import.meta.url), 'utf8');

describe('Devo mutual TLS with a PKCS#12 bundle', () => {
  let receiver: DevoReceiver;
  before(async () => {
    receiver = await startDevoReceiver();
  });
  after(() => receiver.close());

  it('delivers with the bundle and its passphrase, and the server sees the domain certificate', async () => {
    const sender = new DevoSender(pfxSettingsFor(receiver, { host: 'localhost' }));
    sender.send('my.app.test.pfx', 'hello from pkcs12');
    await sender.close();
    const conn = receiver.rawConnections.at(-1);
    assert.equal(conn?.authorized, true);
    assert.equal(conn?.peerSubject, 'test-domain');
    assert.equal(receiver.byTag.get('my.app.test.pfx')?.[0]?.message, 'hello from pkcs12');
  });

  it('trusts the server only through DEVO_CHAIN, never through a CA certificate inside the bundle', async () => {
    // Node adds a bundle's CA certificates to the trust store; this bundle carries the CA that signed the server.
    const pfx = readFileSync(new URL('../support/certs/client-with-ca.p12', import.meta.url)).toString('base64');
    const before = receiver.lines.length;
    const refused = new DevoSender({
      ...pfxSettingsFor(receiver, { pfx, chain: testCerts().otherCa }),
      retryAttempts: 1,
    });
    refused.send('my.app.test.pfx', 'must not arrive');
    await assert.rejects(refused.flush(), (err: unknown) => {
      assert.ok(isDevoError(err, 'DEVO_TLS_SERVER_UNTRUSTED'), String(err));
      assert.match(err.message, /only through a CA certificate inside the PKCS#12 bundle/);
      return true;
    });
    await refused.close().catch(() => undefined);
    assert.equal(receiver.lines.length, before);
    const trusted = new DevoSender(pfxSettingsFor(receiver, { pfx }));
    trusted.send('my.app.test.pfx', 'through the chain');
    await trusted.close();
    assert.equal(receiver.lines.at(-1)?.message, 'through the chain');
  });

  for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`never resumes a session from a server the chain did not vouch for (${maxVersion})`, async () => {
      // Under TLS 1.2 the server's session arrives within the handshake, before the chain check refuses the server:
      // a retry that resumed it would skip the check, as a resumed session carries no certificates. (Under TLS 1.3
      // the client refuses the server before its tickets come, and the server records no connection at all.)
      const server = await startDevoReceiver({ maxVersion });
      try {
        const pfx = readFileSync(new URL('../support/certs/client-with-ca.p12', import.meta.url)).toString('base64');
        const refused = new DevoSender({
          ...pfxSettingsFor(server, { pfx, chain: testCerts().otherCa }),
          retryAttempts: 3,
          retryBaseDelayMs: 10,
        });
        refused.send('my.app.test.pfx', 'must not arrive');
        await assert.rejects(refused.flush(), (err: unknown) => isDevoError(err, 'DEVO_TLS_SERVER_UNTRUSTED'));
        refused.send('my.app.test.pfx', 'nor this');
        await assert.rejects(refused.flush(), (err: unknown) => isDevoError(err, 'DEVO_TLS_SERVER_UNTRUSTED'));
        await refused.close().catch(() => undefined);
        assert.equal(server.lines.length, 0);
        assert.ok(
          server.rawConnections.every((c) => !c.resumed),
          'every attempt ran the full handshake',
        );

        // Trusted through DEVO_CHAIN, the same bundle's later connections resume.
        const trusted = new DevoSender(pfxSettingsFor(server, { pfx }));
        for (const message of ['a', 'b']) {
          trusted.send('my.app.test.pfx', message);
          await trusted.flush();
        }
        await trusted.close();
        assert.deepEqual(
          server.rawConnections.slice(-2).map((c) => c.resumed),
          [false, true],
        );
        assert.deepEqual(
          server.lines.map((l) => l.message),
          ['a', 'b'],
        );
      } finally {
        await server.close();
      }
    });
  }

  it('refuses a wrong passphrase by name, without echoing it', () => {
    assert.throws(
      () => new DevoSender(pfxSettingsFor(receiver, { pfxPassphrase: 'not-the-passphrase' })),
      (err: unknown) => {
        assert.ok(isDevoError(err, 'DEVO_TLS_BAD_CREDENTIALS'), String(err));
        assert.match(err.message, /PKCS#12 bundle \(pfx\) does not open with the passphrase/);
        assert.doesNotMatch(err.message, /not-the-passphrase/);
        return true;
      },
    );
  });

  it('refuses bytes that are not a PKCS#12 bundle', () => {
    const pfx = Buffer.from(testCerts().clientCert).toString('base64');
    assert.throws(
      () => buildSecureContext(pfxSettingsFor(receiver, { pfx })),
      (err: unknown) => isDevoError(err, 'DEVO_TLS_BAD_CREDENTIALS') && /cannot be read/.test(err.message),
    );
  });

  it('refuses a bundle and a PEM certificate together, and a bundle without the chain', () => {
    const c = testCerts();
    assert.throws(
      () => buildSecureContext(pfxSettingsFor(receiver, { cert: c.clientCert, key: c.clientKey })),
      (err: unknown) => isDevoError(err, 'DEVO_TLS_BAD_CREDENTIALS') && /either as a PKCS#12 bundle/.test(err.message),
    );
    assert.throws(
      () => buildSecureContext(pfxSettingsFor(receiver, { chain: undefined })),
      (err: unknown) => isDevoError(err, 'DEVO_TLS_MISSING_CREDENTIALS') && /missing: chain$/.test(err.message),
    );
  });
});

describe('Devo TLS security level', () => {
  let receiver: DevoReceiver;
  before(async () => {
    receiver = await startDevoReceiver();
  });
  after(() => receiver.close());

  it("is Node's default of 1: a 1024-bit RSA key loads by default and at 1, not at 2", () => {
    const tls = { cert: weak('weak-rsa1024.pem'), key: weak('weak-rsa1024.key') };
    assert.equal(NODE_DEFAULT_SECURITY_LEVEL, 1);
    createSecureContext(tls);
    createSecureContext({ ...tls, ciphers: securityLevelCiphers(NODE_DEFAULT_SECURITY_LEVEL) });
    assert.throws(() => createSecureContext({ ...tls, ciphers: securityLevelCiphers(2) }), /ee key too small/);
  });

  it('applies the level to the context it builds', () => {
    // The test client key is P-256 (128-bit security): level 3 accepts it, level 4 (192 bits) does not.
    buildSecureContext(settingsFor(receiver, { tlsSecurityLevel: 3 }));
    assert.throws(
      () => buildSecureContext(settingsFor(receiver, { tlsSecurityLevel: 4 })),
      (err: unknown) => isDevoError(err, 'DEVO_TLS_BAD_CREDENTIALS') && /too small/.test(err.message),
    );
  });

  it('warns once when the level is lowered, still verifies the server, and delivers', async () => {
    const warnings: string[] = [];
    const sender = new DevoSender(settingsFor(receiver, { host: 'localhost', tlsSecurityLevel: 0 }), {
      onWarning: (message) => warnings.push(message),
    });
    sender.send('my.app.test.seclevel', 'one');
    await sender.flush();
    sender.send('my.app.test.seclevel', 'two');
    await sender.close();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /security level lowered to 0 by DEVO_TLS_SECURITY_LEVEL \(default 1\)/);
    assert.match(warnings[0] ?? '', /weakens TLS/);
    assert.deepEqual(
      receiver.byTag.get('my.app.test.seclevel')?.map((l) => l.message),
      ['one', 'two'],
    );
    // Verification is not part of the level: a wrong chain is still refused.
    const untrusted = new DevoSender({
      ...settingsFor(receiver, { chain: testCerts().otherCa, tlsSecurityLevel: 0 }),
      retryAttempts: 1,
    });
    untrusted.send('my.app.test.seclevel', 'must not arrive');
    await assert.rejects(untrusted.flush(), (err: unknown) => isDevoError(err, 'DEVO_TLS_SERVER_UNTRUSTED'));
    await untrusted.close().catch(() => undefined);
  });

  it('does not warn at the default level or above it', () => {
    for (const level of [undefined, 1, 2]) {
      const warnings: string[] = [];
      new DevoSender(settingsFor(receiver, level === undefined ? {} : { tlsSecurityLevel: level }), {
        onWarning: (message) => warnings.push(message),
      });
      assert.deepEqual(warnings, [], `level ${String(level)}`);
    }
    assert.equal(securityLevelWarning(1), undefined);
  });
});

describe('Devo event cap in DevoSender.send', () => {
  let receiver: DevoReceiver;
  before(async () => {
    receiver = await startDevoReceiver();
  });
  after(() => receiver.close());

  for (const compression of ['none', 'gzip'] as const) {
    it(`cuts an oversized event to the cap, delivers it and counts it (${compression})`, async () => {
      const tag = `my.app.test.cap.${compression}`;
      const sender = new DevoSender({ ...settingsFor(receiver, { compression, maxEventBytes: 2_048 }), hostname: 'h' });
      sender.send(tag, 'small');
      sender.send(tag, `{"big":"${'é'.repeat(5_000)}"}`);
      await sender.close();
      const lines = receiver.byTag.get(tag) ?? [];
      assert.equal(lines.length, 2);
      assert.equal(lines[0]?.message, 'small');
      const cut = lines[1];
      assert.ok(cut?.message.endsWith(TRUNCATION_MARKER));
      assert.ok((cut?.raw.length ?? Infinity) + 1 <= 2_048, `line of ${cut?.raw.length} bytes`);
      assert.ok(!cut?.message.includes('\uFFFD'), 'no character was split');
      assert.equal(sender.stats().truncatedEvents, 1);
    });
  }
});
