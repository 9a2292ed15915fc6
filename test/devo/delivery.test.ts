import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { DevoSender, isDevoError, type DevoSenderOptions } from '../../shared/devo/index.ts';
import {
  settingsFor,
  startDevoReceiver,
  type DevoReceiver,
  type DevoReceiverOptions,
} from '../support/devo-receiver.ts';

const FAST_RETRY = { retryBaseDelayMs: 20 } as const;

describe('Devo delivery and connection lifecycle', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((x) => x.close()));
  });

  async function receiverWith(options: DevoReceiverOptions = {}): Promise<DevoReceiver> {
    const r = await startDevoReceiver(options);
    open.push(r);
    return r;
  }
  function senderFor(r: DevoReceiver, options: Partial<DevoSenderOptions> = {}): DevoSender {
    const s = new DevoSender({ ...settingsFor(r), ...FAST_RETRY, ...options });
    open.push({ close: () => s.close().catch(() => undefined) });
    return s;
  }
  /** Every id 0..count-1 arrived at least once under the tag. */
  function assertComplete(r: DevoReceiver, tag: string, count: number): void {
    const seen = new Set((r.byTag.get(tag) ?? []).map((l) => (JSON.parse(l.message) as { i: number }).i));
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} lines missing`);
  }

  for (const compression of ['none', 'gzip'] as const) {
    it(`loses nothing after flush() when the receiver drops connections mid-stream (${compression})`, async () => {
      const r = await receiverWith({
        faults: { dropAfterBytes: compression === 'gzip' ? 20_000 : 150_000, dropConnections: 2 },
      });
      const sender = senderFor(r, { compression });
      const count = 5_000;
      for (let i = 0; i < count; i++)
        sender.send('my.app.test.drop', JSON.stringify({ i, pad: 'p'.repeat(150 + (i % 50)) }));
      await sender.flush();
      assertComplete(r, 'my.app.test.drop', count);
      const stats = sender.stats();
      assert.equal(r.rawConnections.filter((c) => c.dropped).length, 2);
      assert.ok(stats.resentLines > 0, 'retained lines were resent');
      assert.ok(stats.reconnects >= 2, `reconnects ${stats.reconnects}`);
      assert.equal(stats.confirmedLines, count);
      assert.equal(sender.pendingBytes, 0);
      // The connection that confirmed carried everything: it ended by our half-close and was not dropped.
      const last = r.rawConnections.at(-1);
      assert.ok(last?.endedByClient && !last.dropped);
    });
  }

  it('writes a flush on its own connection while the one before is confirmed, and resends what a failed confirm carried', async () => {
    const r = await receiverWith({ faults: { resetAtHalfClose: 1 } });
    const sender = senderFor(r);
    const tag = 'my.app.test.overlap';
    const send = (from: number, to: number): void => {
      for (let i = from; i < to; i++) sender.send(tag, JSON.stringify({ i, pad: 'p'.repeat(100) }));
    };
    send(0, 500);
    let second: Promise<void> | undefined;
    let confirmedWhenWritten = -1;
    const first = sender.flush({
      more: () => true,
      onWritten: () => {
        confirmedWhenWritten = sender.stats().confirmedLines;
        send(500, 1000);
        second = sender.flush();
      },
    });
    await first;
    await second;
    assert.equal(confirmedWhenWritten, 0, 'the next flush could start before the first was confirmed');
    assertComplete(r, tag, 1000);
    const [reset, next] = r.rawConnections;
    assert.ok(reset?.dropped === true && reset.lines === 500, 'the first connection carried its lines, then was reset');
    assert.ok(
      next !== undefined && !next.dropped && next.lines === 500,
      'the second flush had a connection of its own',
    );
    const stats = sender.stats();
    assert.equal(stats.failures, 1);
    assert.equal(stats.resentLines, 500, 'only what the failed confirmation carried was sent again');
    assert.equal(stats.confirmedLines, 1000);
    assert.equal(sender.pendingBytes, 0);
  });

  it('loses nothing when overlapping flushes meet resets mid-stream and at half-close, in bursts', async () => {
    const r = await receiverWith({
      faults: { resetEvery: 3, dropAfterBytes: 20_000, dropConnections: 0, dropDelayMs: 50, resetEveryAtHalfClose: 4 },
    });
    const sender = senderFor(r);
    const tag = 'my.app.test.burst';
    const total = 6_000;
    let sent = 0;
    const flushes: Promise<void>[] = [];
    // Each flush hands over the next 300 lines as soon as the one before is written: always one confirming.
    await new Promise<void>((resolve, reject) => {
      const next = (): void => {
        if (sent >= total) return resolve();
        for (const end = sent + 300; sent < end; sent++)
          sender.send(tag, JSON.stringify({ i: sent, pad: 'p'.repeat(100) }));
        flushes.push(sender.flush({ more: () => sent < total, onWritten: next }).catch((err: unknown) => reject(err)));
      };
      next();
    });
    await Promise.all(flushes);
    await sender.flush();
    assertComplete(r, tag, total);
    const resets = r.rawConnections.filter((c) => c.dropped);
    assert.ok(resets.length >= 5, `${resets.length} connections reset`);
    assert.ok(
      resets.some((c) => c.endedByClient),
      'some were reset at their half-close, after carrying everything',
    );
    const stats = sender.stats();
    assert.equal(stats.confirmedLines, total);
    assert.ok(stats.resentLines > 0);
    assert.equal(sender.pendingBytes, 0);
  });

  // The receiver holds the shared thread past the sender's TLS settle wait, then resets: the sender's next step is its
  // half-close, written onto the reset connection before it reads its socket again. Node reports no error for that
  // write, and the socket then reads as a plain end of stream, with no close_notify from the server. The settle wait
  // (100 to 400 ms) outlasts the gap between the sender's write and the receiver's read even on a loaded machine; the
  // hold outlasts the settle wait.
  it('does not take a reset just before its half-close for the server confirming', async () => {
    const r = await receiverWith({ faults: { dropAfterBytes: 1_000, dropConnections: 1, holdBeforeDropMs: 500 } });
    const sender = senderFor(r, { tlsSettleMaxMs: 400 });
    const count = 50;
    for (let i = 0; i < count; i++) sender.send('my.app.test.reset', JSON.stringify({ i, pad: 'p'.repeat(100) }));
    await sender.flush();
    assertComplete(r, 'my.app.test.reset', count);
    assert.deepEqual(
      r.rawConnections.map((c) => c.dropped),
      [true, false],
    );
    const stats = sender.stats();
    assert.equal(stats.failures, 1);
    assert.equal(stats.resentLines, count);
    assert.equal(stats.confirmedLines, count);
  });

  // The tests below move Date by hand (timers and sockets stay real): a connection is idle or old exactly when the
  // sender's clock says so, however long the machine takes between two sends. The timeout ends a test whose wait
  // on the receiver (which reads the frozen Date) would otherwise never give up.
  it('reports connect, confirm and reconnect with its reason to its observer', { timeout: 30_000 }, async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const r = await receiverWith({ faults: { dropAfterBytes: 20_000, dropConnections: 1 } });
    const events: string[] = [];
    const sender = new DevoSender(
      { ...settingsFor(r), ...FAST_RETRY, idleReconnectMs: 100 },
      { onConnection: (e) => events.push(e.kind === 'reconnect' ? `reconnect ${e.reason}` : e.kind) },
    );
    open.push({ close: () => sender.close().catch(() => undefined) });
    for (let i = 0; i < 500; i++) sender.send('my.app.test.events', JSON.stringify({ i, pad: 'p'.repeat(100) }));
    await sender.flush();
    sender.send('my.app.test.events', JSON.stringify({ i: 'idle-before' }));
    // Not a line count: the drop made the receiver see some lines twice, so 501 lines can arrive before this one.
    await r.waitFor(() => r.lines.some((l) => l.message.includes('idle-before')), 10_000, 'the idle-before line');
    t.mock.timers.tick(101);
    sender.send('my.app.test.events', JSON.stringify({ i: 'after-idle' }));
    await sender.flush();
    assert.equal(events[0], 'connect');
    assert.ok(events.includes('reconnect failure'), events.join(', '));
    assert.equal(events.filter((e) => e === 'reconnect idle').length, 1, events.join(', '));
    assert.ok(events.includes('confirm'), events.join(', '));
  });

  it('replaces an idle connection, confirming what it carried instead of resending', { timeout: 30_000 }, async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const r = await receiverWith();
    const sender = senderFor(r, { idleReconnectMs: 100 });
    sender.send('my.app.test.idle', JSON.stringify({ i: 0 }));
    await r.waitForLines(1);
    t.mock.timers.tick(100);
    sender.send('my.app.test.idle', JSON.stringify({ i: 1 }));
    await r.waitForLines(2);
    t.mock.timers.tick(101);
    sender.send('my.app.test.idle', JSON.stringify({ i: 2 }));
    await sender.flush();
    assert.deepEqual(
      r.lines.map((l) => [l.connection, l.message]),
      [
        [1, '{"i":0}'],
        [1, '{"i":1}'],
        [2, '{"i":2}'],
      ],
      'idle for exactly idleReconnectMs is kept, a millisecond more is replaced',
    );
    assert.ok(r.rawConnections[0]?.endedByClient, 'the idle connection was half-closed by us and confirmed');
    const stats = sender.stats();
    assert.equal(stats.reconnects, 1);
    assert.equal(stats.resentLines, 0);
    assert.equal(stats.confirmedLines, 3);
  });

  it('replaces a connection older than maxConnectionAgeMs', { timeout: 30_000 }, async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const r = await receiverWith();
    const sender = senderFor(r, { maxConnectionAgeMs: 60 });
    sender.send('my.app.test.age', 'a');
    await r.waitForLines(1);
    t.mock.timers.tick(30);
    sender.send('my.app.test.age', 'b');
    await r.waitForLines(2);
    // 30 ms since the last write, 61 ms since the connection opened: replaced for its age, not for idleness.
    t.mock.timers.tick(31);
    sender.send('my.app.test.age', 'c');
    await sender.flush();
    assert.deepEqual(
      r.lines.map((l) => [l.connection, l.message]),
      [
        [1, 'a'],
        [1, 'b'],
        [2, 'c'],
      ],
    );
    assert.equal(sender.stats().reconnects, 1);
  });

  it('fails with DEVO_WRITE_TIMEOUT when the server stops reading', async () => {
    const r = await receiverWith({ tls: false, faults: { stallReading: true } });
    const sender = senderFor(r, { tls: false, writeTimeoutMs: 200, retryAttempts: 1, highWaterBytes: 2 ** 30 });
    const body = 'w'.repeat(4_000);
    // More than loopback socket buffers can hold, so the writer must wait for a drain that never comes.
    for (let i = 0; i < 10_000; i++) sender.send('my.app.test.stall', body);
    await assert.rejects(sender.flush(), (err: unknown) => {
      assert.ok(isDevoError(err, 'DEVO_WRITE_TIMEOUT'), String(err));
      assert.equal(err.step, 'write');
      return true;
    });
    assert.equal(sender.pendingLines, 10_000);
  });

  it('reconnects and resends after the server closes an idle connection', async () => {
    const r = await receiverWith({ faults: { idleCloseMs: 80 } });
    const sender = senderFor(r);
    sender.send('my.app.test.srvidle', JSON.stringify({ i: 0 }));
    await r.waitFor(() => r.rawConnections[0]?.closed === true, 2_000, 'the server-side idle close');
    sender.send('my.app.test.srvidle', JSON.stringify({ i: 1 }));
    await sender.flush();
    assertComplete(r, 'my.app.test.srvidle', 2);
    const stats = sender.stats();
    assert.ok(stats.reconnects >= 1);
    assert.equal(stats.resentLines, 1, 'the unconfirmed line went out again (at-least-once)');
  });

  it('opens a fresh connection after a confirmed flush', async () => {
    const r = await receiverWith();
    const sender = senderFor(r);
    sender.send('my.app.test.fresh', 'a');
    await sender.flush();
    sender.send('my.app.test.fresh', 'b');
    await sender.flush();
    await sender.flush(); // nothing pending: no connection needed
    assert.deepEqual(
      r.lines.map((l) => [l.connection, l.message]),
      [
        [1, 'a'],
        [2, 'b'],
      ],
    );
    assert.ok(r.rawConnections.every((c) => c.endedByClient));
    assert.equal(sender.stats().flushes, 3);
    assert.equal(sender.stats().reconnects, 0);
  });

  it('opens the next connection while confirming when more data follows, and uses it for the next flush', async () => {
    const r = await receiverWith();
    const sender = senderFor(r);
    sender.send('my.app.test.spare', JSON.stringify({ i: 0 }));
    let asked = 0;
    await sender.flush({
      more: () => {
        asked += 1;
        return true;
      },
    });
    assert.equal(asked, 1, 'asked once the data was written');
    await r.waitFor(() => r.rawConnections.length === 2, 2_000, 'the spare connection');
    assert.equal(r.rawConnections[1]?.lines, 0, 'opened before any data was sent on it');
    sender.send('my.app.test.spare', JSON.stringify({ i: 1 }));
    await sender.flush();
    assert.deepEqual(
      r.lines.map((l) => [l.connection, l.message]),
      [
        [1, '{"i":0}'],
        [2, '{"i":1}'],
      ],
    );
    await sender.close();
    assert.equal(r.rawConnections.length, 2, 'no connection beyond the spare, and none after the last flush');
    assert.equal(sender.stats().connections, 2);
  });

  it('replaces a spare connection the server closed while it waited, losing nothing', async () => {
    const r = await receiverWith({ faults: { idleCloseMs: 80 } });
    const sender = senderFor(r);
    sender.send('my.app.test.spare', JSON.stringify({ i: 0 }));
    await sender.flush({ more: () => true });
    await r.waitFor(() => r.rawConnections[1]?.closed === true, 2_000, 'the server-side close of the spare');
    sender.send('my.app.test.spare', JSON.stringify({ i: 1 }));
    await sender.flush();
    assertComplete(r, 'my.app.test.spare', 2);
    assert.equal(r.rawConnections.length, 3);
    assert.equal(r.rawConnections[2]?.lines, 1);
  });

  it('releases an unused spare connection on close', async () => {
    const r = await receiverWith();
    const sender = senderFor(r);
    sender.send('my.app.test.spare', 'a');
    await sender.flush({ more: () => true });
    await sender.close();
    await r.waitFor(() => r.rawConnections.length === 2 && r.rawConnections[1]?.closed === true, 2_000, 'closed');
    assert.ok(r.rawConnections[1]?.endedByClient, 'ended by us, in order');
  });

  it('rejects flush with DEVO_CONFIRM_TIMEOUT when the server never closes, keeping the data', async () => {
    const r = await receiverWith({ faults: { ignoreHalfClose: true } });
    const sender = senderFor(r, { closeTimeoutMs: 150, retryAttempts: 2 });
    sender.send('my.app.test.noclose', 'x');
    await assert.rejects(sender.flush(), (err: unknown) => {
      assert.ok(isDevoError(err, 'DEVO_CONFIRM_TIMEOUT'), String(err));
      assert.equal(err.step, 'confirm');
      assert.equal(err.attempts, 2);
      assert.match(err.message, /did not close its side within 150 ms/);
      return true;
    });
    assert.ok(sender.pendingBytes > 0, 'unconfirmed data is retained');
    assert.equal(r.lines.length, 2, 'delivered twice, never confirmed');
  });

  it('rejects flush with DEVO_CONNECT_FAILED after bounded attempts when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const sender = new DevoSender({ ...settingsFor({ host: '127.0.0.1', port }), ...FAST_RETRY, retryAttempts: 3 });
    sender.send('my.app.test.refused', 'x');
    const started = Date.now();
    await assert.rejects(sender.flush(), (err: unknown) => {
      assert.ok(isDevoError(err, 'DEVO_CONNECT_FAILED'), String(err));
      assert.equal(err.attempts, 3);
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
    assert.ok(Date.now() - started >= 20 + 40, 'backoff between attempts');
    assert.equal(sender.stats().failures, 3);
    await assert.rejects(sender.close(), (err: unknown) => isDevoError(err, 'DEVO_CONNECT_FAILED'));
    assert.throws(
      () => sender.send('my.app.test.refused', 'y'),
      (err: unknown) => isDevoError(err, 'DEVO_SENDER_CLOSED'),
    );
  });

  it('works over plain TCP (in-house relay mode)', async () => {
    const r = await receiverWith({ tls: false });
    const sender = senderFor(r, { tls: false, cert: undefined, key: undefined, chain: undefined, compression: 'gzip' });
    for (let i = 0; i < 100; i++) sender.send('my.app.test.relay', JSON.stringify({ i }));
    await sender.close();
    assertComplete(r, 'my.app.test.relay', 100);
    assert.equal(r.rawConnections[0]?.authorized, false);
  });

  it('applies backpressure: send() returns false over the high-water mark and ready() resolves', async () => {
    const r = await receiverWith();
    const sender = senderFor(r, { highWaterBytes: 256 * 1024 });
    const body = 'x'.repeat(1_000);
    let refusals = 0;
    for (let i = 0; i < 3_000; i++) {
      if (!sender.send('my.app.test.bp', JSON.stringify({ i, body }))) {
        refusals++;
        await sender.ready();
      }
    }
    await sender.flush();
    assert.ok(refusals > 0, 'the high-water mark was reached');
    assertComplete(r, 'my.app.test.bp', 3_000);
    const stats = sender.stats();
    assert.equal(stats.byTag['my.app.test.bp']?.events, 3_000);
    assert.ok(stats.sendingMs > 0 && stats.flushingMs > 0);
  });
});
