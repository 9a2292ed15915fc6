import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { LineBatcher } from '../../shared/devo/batcher.ts';
import { DevoSender } from '../../shared/devo/index.ts';
import type { Chunk } from '../../shared/devo/retained.ts';
import { newCounters } from '../../shared/devo/stats.ts';
import { settingsFor, startDevoReceiver, type DevoReceiver } from '../support/devo-receiver.ts';

const GZIP_HEADER = Buffer.from('1f8b0800000000000003', 'hex');

function messages(count: number, label: string): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({ label, i, user: `user${i % 17}@contoso.com`, pad: 'é'.repeat(i % 40) }),
  );
}

describe('Devo gzip-member mode', () => {
  let receiver: DevoReceiver;
  before(async () => {
    receiver = await startDevoReceiver();
  });
  after(() => receiver.close());

  it('writes raw gzip members that decode to exactly the plain-mode lines', async () => {
    const bodies = messages(2_000, 'gz');
    const plain = new DevoSender({ ...settingsFor(receiver), hostname: 'collector01' });
    // Level 6 is what Devo's Python SDK uses: the member header must then match the SDK's byte for byte.
    const gzip = new DevoSender({
      ...settingsFor(receiver, { compression: 'gzip' }),
      hostname: 'collector01',
      gzipLevel: 6,
    });
    for (const b of bodies) {
      plain.send('my.app.test.gzip', b);
      gzip.send('my.app.test.gzip', b);
    }
    await Promise.all([plain.close(), gzip.close()]);
    await receiver.waitFor(
      () => receiver.rawConnections.length === 2 && receiver.rawConnections.every((c) => c.closed),
    );
    const [a, b] = receiver.rawConnections;
    const plainConn = a?.members === 0 ? a : b;
    const gzipConn = a?.members === 0 ? b : a;
    assert.ok(plainConn && gzipConn);
    const plainBytes = plainConn.raw();
    const gzipBytes = gzipConn.raw();
    // Raw members, no prefix: the stream starts with the SDK's gzip header and gunzips (multi-member) to the plain stream.
    assert.deepEqual(gzipBytes.subarray(0, 10), GZIP_HEADER);
    assert.deepEqual(gunzipSync(gzipBytes), plainBytes);
    const stats = gzip.stats();
    assert.equal(gzipConn.members, stats.gzipMembers);
    assert.ok(stats.gzipMembers > 3, `members: ${stats.gzipMembers}`);
    assert.ok(gzipBytes.length < plainBytes.length / 3);
    // Each member holds just over gzipMemberBytes of lines (the last one may be smaller).
    assert.ok(plainBytes.length / stats.gzipMembers > 19_500 * 0.9);
    const received = receiver.lines.filter((l) => l.connection === gzipConn.id);
    assert.equal(received.length, bodies.length);
    assert.ok(received.every((l, i) => l.compressed && l.message === bodies[i]));
    assert.equal(stats.events, 2_000);
    assert.equal(stats.compressedBytes, gzipBytes.length);
  });

  it('cuts a member when the oldest buffered line reaches gzipMaxAgeMs, without a flush', async () => {
    // Both lines are sent in one tick, so the age timer cannot cut between them however slow the machine is; the
    // member must then arrive with no flush and far below gzipMemberBytes, i.e. cut by its age.
    const sender = new DevoSender({ ...settingsFor(receiver, { compression: 'gzip' }), gzipMaxAgeMs: 100 });
    const start = receiver.lines.length;
    sender.send('my.app.test.age', 'first');
    sender.send('my.app.test.age', 'second');
    assert.equal(sender.stats().gzipMembers, 0, 'nothing is cut before the age is reached');
    await receiver.waitFor(() => receiver.lines.length >= start + 2, 10_000, 'the aged member');
    assert.deepEqual(
      receiver.lines.slice(start).map((l) => [l.message, l.compressed]),
      [
        ['first', true],
        ['second', true],
      ],
    );
    assert.equal(sender.stats().gzipMembers, 1);
    assert.ok(sender.pendingBytes > 0, 'written but not yet confirmed');
    await sender.close();
    assert.equal(sender.pendingBytes, 0);
  });

  it('compresses what is buffered on flush and confirms it', async () => {
    const sender = new DevoSender(settingsFor(receiver, { compression: 'gzip' }));
    const start = receiver.lines.length;
    sender.send('my.app.test.flush', 'only line');
    assert.equal(sender.stats().gzipMembers, 0);
    await sender.flush();
    assert.equal(sender.stats().gzipMembers, 1);
    assert.equal(sender.pendingBytes, 0);
    assert.equal(receiver.lines[start]?.message, 'only line');
    // Default level 1: same gzip container, only the XFL ("fastest") byte differs from the SDK's header.
    const raw = receiver.rawConnections.at(-1)?.raw() ?? Buffer.alloc(0);
    assert.deepEqual(raw.subarray(0, 10), Buffer.from('1f8b0800000000000403', 'hex'));
    await sender.close();
  });
});

describe('gzip member age, on a fake clock', () => {
  const options = {
    compression: 'gzip',
    gzipLevel: 1,
    gzipMemberBytes: 19_500,
    gzipMaxAgeMs: 100,
    maxEventBytes: 262_144,
  } as const;
  const lines = (chunk: Chunk): string[] => gunzipSync(chunk.data).toString('utf8').split('\n').filter(Boolean);

  it('measures the age from the oldest buffered line: a later line neither restarts nor shortens it', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const chunks: Chunk[] = [];
    const batcher = new LineBatcher(options, newCounters(), (c) => chunks.push(c));
    batcher.append(Buffer.from('a: '), 'first');
    t.mock.timers.tick(60);
    batcher.append(Buffer.from('a: '), 'second');
    t.mock.timers.tick(39);
    assert.equal(chunks.length, 0, '99 ms after the first line nothing is cut');
    t.mock.timers.tick(1);
    assert.equal(chunks.length, 1, 'cut at 100 ms after the first line, not 100 ms after the second');
    assert.deepEqual(lines(chunks[0]!), ['a: first', 'a: second']);
    assert.equal(chunks[0]?.lines, 2);
    t.mock.timers.tick(1_000);
    assert.equal(chunks.length, 1, 'an empty buffer cuts nothing');
    batcher.stop();
  });

  it('starts a new age with the first line after a cut, and stops cutting once stopped', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    const chunks: Chunk[] = [];
    const batcher = new LineBatcher(options, newCounters(), (c) => chunks.push(c));
    batcher.append(Buffer.from('a: '), 'one');
    t.mock.timers.tick(100);
    assert.equal(chunks.length, 1);
    t.mock.timers.tick(500);
    batcher.append(Buffer.from('a: '), 'two');
    t.mock.timers.tick(99);
    assert.equal(chunks.length, 1);
    t.mock.timers.tick(1);
    assert.deepEqual(chunks.map(lines), [['a: one'], ['a: two']]);
    batcher.append(Buffer.from('a: '), 'three');
    batcher.stop();
    t.mock.timers.tick(1_000);
    assert.equal(chunks.length, 2, 'a stopped batcher leaves the line to flush');
  });
});
