import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FramedLines } from '../../shared/devo/framed-lines.ts';
import { DEFAULT_MAX_EVENT_BYTES } from '../../shared/devo/event-cap.ts';
import { DevoSender, frameLine } from '../../shared/devo/index.ts';
import { settingsFor, startDevoReceiver, type DevoReceiver } from '../support/devo-receiver.ts';

const prefix = (tag: string): Buffer => Buffer.from(`<14>Jan  1 00:00:00 h ${tag}: `);

describe('framed lines', () => {
  it('packs whole lines into chunks of about the size asked, never splitting one', () => {
    const lines = new FramedLines(100, DEFAULT_MAX_EVENT_BYTES);
    const texts = Array.from({ length: 50 }, (_, i) => `{"i":${i},"s":"${'é'.repeat(i % 7)}"}`);
    for (const [i, t] of texts.entries()) lines.append('a.b', prefix('a.b'), i % 2 === 0 ? t : Buffer.from(t));
    const batch = lines.take();
    assert.equal(batch.lines, 50);
    assert.ok(batch.chunks.length > 5);
    for (const chunk of batch.chunks) {
      assert.ok(chunk.data.length <= 100, `chunk of ${chunk.data.length} bytes`);
      assert.equal(chunk.data.at(-1), 0x0a, 'a chunk ends with a whole line');
      assert.equal(chunk.data.toString('utf8').split('\n').length - 1, chunk.lines);
    }
    const expected = Buffer.concat(texts.map((t) => frameLine(14, 'h', 'a.b', t)));
    assert.deepEqual(Buffer.concat(batch.chunks.map((c) => c.data)), expected);
    assert.equal(batch.bytes, expected.length);
    assert.deepEqual([...batch.tags], [['a.b', { events: 50, bytes: expected.length }]]);
    assert.equal(lines.take().lines, 0, 'take starts empty again');
  });

  it('frames new lines into the buffers of a confirmed batch, keeping no more than it was asked to', () => {
    const lines = new FramedLines(4096, DEFAULT_MAX_EVENT_BYTES, 3 * 4096);
    const fill = (n: number) => {
      for (let i = 0; i < n; i++) lines.append('a.b', prefix('a.b'), `{"i":${i},"pad":"${'x'.repeat(900)}"}`);
      return lines.take();
    };
    const first = fill(20);
    assert.ok(first.chunks.length >= 5);
    const expected = Buffer.concat(first.chunks.map((c) => c.data));
    // A line larger than a chunk gets a buffer of its own size: not one to reuse.
    lines.append('a.b', prefix('a.b'), 'y'.repeat(5000));
    const large = lines.take();
    lines.recycle(first);
    lines.recycle(large);
    const second = fill(20);
    const reused = second.chunks.filter((c) => first.chunks.some((f) => f.data.buffer === c.data.buffer));
    assert.equal(reused.length, 3, 'three chunk buffers kept and reused');
    assert.ok(!second.chunks.some((c) => c.data.buffer === large.chunks[0]?.data.buffer));
    assert.deepEqual(Buffer.concat(second.chunks.map((c) => c.data)), expected, 'reused buffers hold the new lines');
  });

  it('gives a line longer than a chunk a chunk of its own, and sizes text exactly', () => {
    const lines = new FramedLines(64, DEFAULT_MAX_EVENT_BYTES);
    lines.append('a.b', prefix('a.b'), 'x');
    const long = '東'.repeat(100);
    lines.append('a.b', prefix('a.b'), long);
    lines.append('c.d', prefix('c.d'), Buffer.from('y'));
    const batch = lines.take();
    assert.deepEqual(
      batch.chunks.map((c) => c.lines),
      [1, 1, 1],
    );
    assert.equal(batch.chunks[1]?.data.toString('utf8'), frameLine(14, 'h', 'a.b', long).toString('utf8'));
    assert.deepEqual([...batch.tags.keys()], ['a.b', 'c.d']);
  });

  it('writes raw line breaks as \\n and \\r, from text and from bytes', () => {
    const lines = new FramedLines(1024, DEFAULT_MAX_EVENT_BYTES);
    lines.append('a.b', Buffer.alloc(0), 'a\nb');
    lines.append('a.b', Buffer.alloc(0), Buffer.from('c\r\nd'));
    assert.equal(lines.take().chunks[0]?.data.toString('utf8'), 'a\\nb\nc\\r\\nd\n');
  });
});

describe('sending framed lines', () => {
  let receiver: DevoReceiver;
  before(async () => {
    receiver = await startDevoReceiver();
  });
  after(() => receiver.close());

  for (const compression of ['none', 'gzip'] as const) {
    it(`delivers them after what was sent line by line, in order (${compression})`, async () => {
      const sender = new DevoSender({ ...settingsFor(receiver, { compression }), hostname: 'h' });
      const tag = `my.app.framed.${compression}`;
      sender.send(tag, 'first');
      const lines = new FramedLines(sender.chunkBytes, sender.maxEventBytes);
      const bodies = Array.from({ length: 3000 }, (_, i) => `{"n":${i},"pad":"${'p'.repeat(i % 300)}"}`);
      for (const b of bodies) lines.append(tag, sender.prefix(tag), Buffer.from(b));
      sender.sendFramed(lines.take());
      sender.send(tag, 'last');
      await sender.close();
      await receiver.waitFor(() => receiver.lines.filter((l) => l.tag === tag).length === bodies.length + 2);
      const got = receiver.lines.filter((l) => l.tag === tag).map((l) => l.message);
      assert.deepEqual(got, ['first', ...bodies, 'last']);
      const stats = sender.stats();
      assert.equal(stats.byTag[tag]?.events, bodies.length + 2);
      if (compression === 'gzip') {
        const conn = receiver.rawConnections.at(-1);
        assert.ok(conn !== undefined && conn.members > 3);
        assert.equal(gunzipSync(conn.raw()).toString('utf8').split('\n').length - 1, bodies.length + 2);
      }
    });
  }

  it('refuses a tag Devo would not accept before anything is framed', () => {
    const sender = new DevoSender({ ...settingsFor(receiver), hostname: 'h' });
    assert.throws(() => sender.prefix('Not A Tag'), /invalid Devo tag/);
    void sender.close();
  });
});
