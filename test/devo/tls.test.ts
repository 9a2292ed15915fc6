import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { DevoSender, isDevoCertificateError, isDevoError, openDevoConnection } from '../../shared/devo/index.ts';
import type { DevoConnectionEvent } from '../../shared/telemetry/traces.ts';
import { settingsFor, startDevoReceiver, testCerts, type DevoReceiver } from '../support/devo-receiver.ts';

describe('Devo mutual TLS', () => {
  let receiver: DevoReceiver;
  before(async () => {
    receiver = await startDevoReceiver();
  });
  after(() => receiver.close());

  it('verifies the server by name over SNI and is accepted with the domain certificate', async () => {
    const sender = new DevoSender(settingsFor(receiver, { host: 'localhost' }));
    sender.send('my.app.test.tls', 'hello');
    await sender.close();
    const conn = receiver.rawConnections.at(-1);
    assert.equal(conn?.authorized, true);
    assert.equal(conn?.peerSubject, 'test-domain');
    assert.equal(receiver.byTag.get('my.app.test.tls')?.[0]?.message, 'hello');
  });

  for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`resumes its TLS session on each later connection (${maxVersion}), the server still knowing our certificate`, async () => {
      const server = await startDevoReceiver({ maxVersion });
      try {
        const events: DevoConnectionEvent[] = [];
        const sender = new DevoSender(settingsFor(server, { host: 'localhost' }), {
          onConnection: (e) => events.push(e),
        });
        for (const message of ['one', 'two', 'three']) {
          sender.send('my.app.test.tls', message);
          await sender.flush();
        }
        await sender.close();
        const connections = server.rawConnections.map((c) => [c.resumed, c.authorized, c.peerSubject]);
        assert.deepEqual(connections, [
          [false, true, 'test-domain'],
          [true, true, 'test-domain'],
          [true, true, 'test-domain'],
        ]);
        const opened = events.filter((e) => e.kind !== 'confirm');
        assert.deepEqual(
          opened.map((e) => 'resumed' in e && e.resumed),
          [false, true, true],
          'the sender reports which connections resumed',
        );
        assert.deepEqual(
          server.lines.map((l) => l.message),
          ['one', 'two', 'three'],
        );

        // A new sender keeps its own sessions: its first connection runs the full handshake.
        const next = new DevoSender(settingsFor(server, { host: 'localhost' }));
        next.send('my.app.test.tls', 'four');
        await next.close();
        assert.equal(server.rawConnections.at(-1)?.resumed, false);
      } finally {
        await server.close();
      }
    });
  }

  it('fails flush with a readable reason when the server refuses our client certificate', async () => {
    const c = testCerts();
    const before = receiver.lines.length;
    const errorsBefore = receiver.tlsErrors.length;
    const sender = new DevoSender({
      ...settingsFor(receiver, { cert: c.otherClientCert, key: c.otherClientKey }),
      retryAttempts: 2,
      retryBaseDelayMs: 10,
    });
    sender.send('my.app.test.tls', 'must not arrive');
    await assert.rejects(sender.flush(), (err: unknown) => {
      assert.ok(isDevoError(err, 'DEVO_TLS_CLIENT_REJECTED'), String(err));
      assert.ok(isDevoCertificateError(err));
      assert.match(err.message, /refused our client certificate/);
      return true;
    });
    assert.equal(receiver.lines.length, before, 'nothing was accepted');
    assert.ok(receiver.tlsErrors.length > errorsBefore, 'the receiver saw the refused handshake');
    assert.ok(sender.pendingBytes > 0, 'the event is still retained');
  });

  it('maps a TLS alert from the server (no client certificate) to DEVO_TLS_CLIENT_REJECTED', async () => {
    // A target without a client certificate cannot be built through the settings; this is how a server that
    // answers with a TLS alert (rather than a silent close) looks to the connection.
    const target = {
      host: '127.0.0.1',
      port: receiver.port,
      endpoint: `127.0.0.1:${receiver.port}`,
      secureContext: createSecureContext({ ca: testCerts().ca, minVersion: 'TLSv1.2' }),
      servername: undefined,
    };
    const timeouts = { connectTimeoutMs: 2_000, writeTimeoutMs: 2_000, closeTimeoutMs: 2_000, tlsSettleMaxMs: 1_000 };
    const failure = await openDevoConnection(target, timeouts).then(
      async (conn) => {
        await conn.write(Buffer.from('<14>Jan  1 00:00:00 h my.app.test.tls: x\n'));
        return conn.confirm().then(
          () => undefined,
          (err: unknown) => err,
        );
      },
      (err: unknown) => err,
    );
    assert.ok(isDevoError(failure, 'DEVO_TLS_CLIENT_REJECTED'), String(failure));
    assert.match(failure.message, /rejected our client certificate \(TLS alert certificate_required\)/);
    assert.equal(failure.retriable, false);
  });

  it('names certificate verification when our chain did not sign the server certificate', async () => {
    const sender = new DevoSender({ ...settingsFor(receiver, { chain: testCerts().otherCa }), retryBaseDelayMs: 10 });
    sender.send('my.app.test.tls', 'x');
    const connections = receiver.rawConnections.length;
    await assert.rejects(sender.flush(), (err: unknown) => {
      assert.ok(isDevoError(err, 'DEVO_TLS_SERVER_UNTRUSTED'), String(err));
      assert.match(err.message, /certificate verification failed/);
      assert.equal(err.step, 'tls');
      assert.equal(err.attempts, 1, 'a verification failure is not retried');
      return true;
    });
    // Refused at once rather than after retry back-offs: the attempt count says so, not the wall clock.
    assert.equal(receiver.rawConnections.length, connections, 'no connection was ever established');
    assert.ok(sender.pendingBytes > 0, 'the event is still retained');
  });

  it('refuses a server whose certificate does not name the host', async (t) => {
    // The server certificate names localhost, 127.0.0.1 and ::1 only; Linux routes all of 127/8 to loopback, so
    // there (and on CI) binding 127.0.0.2 must work. Elsewhere (macOS has only 127.0.0.1 without an alias) the test
    // is skipped with the reason.
    const other = await startDevoReceiver({ host: '127.0.0.2' }).catch((err: unknown) => {
      const reason = `cannot listen on 127.0.0.2: ${String(err)}`;
      if (process.env.CI === 'true' || process.platform === 'linux') assert.fail(reason);
      return reason;
    });
    if (typeof other === 'string') return t.skip(other);
    assert.equal(other.host, '127.0.0.2');
    try {
      const sender = new DevoSender(settingsFor(other));
      sender.send('my.app.test.tls', 'x');
      await assert.rejects(sender.flush(), (err: unknown) => {
        assert.ok(isDevoError(err, 'DEVO_TLS_SERVER_UNTRUSTED'), String(err));
        assert.match(err.message, /certificate verification failed.*ERR_TLS_CERT_ALTNAME_INVALID/);
        return true;
      });
      assert.equal(other.rawConnections.length, 0);
    } finally {
      await other.close();
    }
  });

  it('reports missing credentials by name, never by content', () => {
    const c = testCerts();
    assert.throws(
      () => new DevoSender({ ...settingsFor(receiver), key: undefined, chain: '  ' }),
      (err: unknown) =>
        isDevoError(err, 'DEVO_TLS_MISSING_CREDENTIALS') &&
        /missing: key, chain$/.test(err.message) &&
        !err.message.includes('BEGIN'),
    );
    assert.throws(
      () => new DevoSender({ ...settingsFor(receiver), cert: 'not a certificate' }),
      (err: unknown) => isDevoError(err, 'DEVO_TLS_BAD_CREDENTIALS') && /client certificate/.test(err.message),
    );
    assert.throws(
      () => new DevoSender({ ...settingsFor(receiver), key: c.otherClientKey }),
      (err: unknown) => isDevoError(err, 'DEVO_TLS_BAD_CREDENTIALS') && /do not belong together/.test(err.message),
    );
    assert.throws(
      () => new DevoSender({ ...settingsFor(receiver), chain: 'garbage' }),
      (err: unknown) => isDevoError(err, 'DEVO_TLS_BAD_CREDENTIALS') && /chain/.test(err.message),
    );
    assert.doesNotThrow(
      () => new DevoSender({ ...settingsFor(receiver), tls: false, cert: undefined, key: undefined }),
    );
  });
});
