import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { connect } from 'node:tls';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DevoStreamParser, startDevoReceiver, testCerts, type DevoReceiver } from '../support/devo-receiver.ts';

const line = (tag: string, msg: string): string => `<14>Jan  1 00:00:00 h ${tag}: ${msg}\n`;

/** A stream mixing every record kind, plus the records it holds and a trailing fragment. */
function mixedStream(): { bytes: Buffer; records: Array<[string, boolean]>; fragment: number } {
  const counted = line('my.app.c', 'counted');
  const parts = [
    Buffer.from(line('my.app.a', 'plain 1')),
    gzipSync(line('my.app.b', 'zipped 1') + line('my.app.b', 'zipped 2 – ü')),
    Buffer.from(`${Buffer.byteLength(counted)} ${counted}`),
    Buffer.from(line('my.app.a', 'plain 2')),
    gzipSync(line('my.app.b', 'zipped 3')),
  ];
  const fragment = Buffer.from('<14>Jan  1 00:00:00 h my.app.a: never term');
  return {
    bytes: Buffer.concat([...parts, fragment]),
    records: [
      [line('my.app.a', 'plain 1'), false],
      [line('my.app.b', 'zipped 1'), true],
      [line('my.app.b', 'zipped 2 – ü'), true],
      [counted, false],
      [line('my.app.a', 'plain 2'), false],
      [line('my.app.b', 'zipped 3'), true],
    ].map(([text, zipped]) => [(text as string).slice(0, -1), zipped as boolean]),
    fragment: fragment.length,
  };
}

describe('Devo test receiver', () => {
  const open: DevoReceiver[] = [];
  after(() => Promise.all(open.map((r) => r.close())));

  it('parses interleaved plain lines, gzip members and counted records however the bytes are split', () => {
    const { bytes, records, fragment } = mixedStream();
    for (const step of [1, 3, 7, 64, bytes.length]) {
      const got: Array<[string, boolean]> = [];
      const parser = new DevoStreamParser((raw, zipped) => got.push([raw.toString('utf8'), zipped]));
      for (let i = 0; i < bytes.length; i += step) parser.push(bytes.subarray(i, i + step));
      assert.deepEqual(got, records, `split every ${step} bytes`);
      assert.equal(parser.members, 2);
      assert.equal(parser.end(), fragment);
    }
  });

  it('refuses a corrupt gzip member', () => {
    const member = gzipSync('<14>Jan  1 00:00:00 h my.app.x: y\n');
    member.writeUInt32LE(0, member.length - 8); // wrong CRC32
    const parser = new DevoStreamParser(() => undefined);
    assert.throws(() => parser.push(member), /CRC32/);
  });

  it('records lines per tag over mutual TLS and closes its side when the client half-closes', async () => {
    const r = await startDevoReceiver();
    open.push(r);
    const { bytes, fragment } = mixedStream();
    const c = testCerts();
    const socket = connect({ host: '127.0.0.1', port: r.port, ca: c.ca, cert: c.clientCert, key: c.clientKey });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    socket.end(bytes);
    socket.resume();
    await new Promise((resolve) => socket.once('end', resolve)); // the receiver closed its side
    await r.waitFor(() => r.rawConnections[0]?.closed === true);
    assert.deepEqual([...r.byTag.keys()].sort(), ['my.app.a', 'my.app.b', 'my.app.c']);
    assert.equal(r.byTag.get('my.app.b')?.length, 3);
    assert.equal(r.byTag.get('my.app.b')?.[1]?.message, 'zipped 2 – ü');
    const conn = r.rawConnections[0];
    assert.equal(conn?.authorized, true);
    assert.equal(conn?.endedByClient, true);
    assert.equal(conn?.discardedBytes, fragment);
    assert.deepEqual(conn?.raw(), bytes);
  });

  it('resets the first K connections after N bytes and keeps only complete records', async () => {
    const r = await startDevoReceiver({ tls: false, faults: { dropAfterBytes: 30, dropConnections: 1 } });
    open.push(r);
    const { createConnection } = await import('node:net');
    const send = (): Promise<string> =>
      new Promise((resolve) => {
        const s = createConnection({ host: '127.0.0.1', port: r.port });
        s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        s.on('end', () => resolve('end'));
        s.resume();
        s.end(line('my.app.a', 'a record longer than the 30 bytes let through') + line('my.app.a', 'second'));
      });
    assert.equal(await send(), 'ECONNRESET');
    assert.equal(await send(), 'end');
    await r.waitFor(() => r.rawConnections.length === 2 && r.rawConnections.every((x) => x.closed));
    assert.equal(r.rawConnections[0]?.dropped, true);
    assert.equal(r.rawConnections[0]?.lines, 0);
    assert.equal(r.rawConnections[0]?.discardedBytes, 30);
    assert.equal(r.rawConnections[1]?.lines, 2);
  });
});

/** Sends two records on a new plain TCP connection; resolves with how it ended (`end` or the error code). */
function sendPlain(r: DevoReceiver): Promise<string> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port: r.port });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    s.on('end', () => resolve('end'));
    s.resume();
    s.end(line('my.app.a', 'a record longer than the 30 bytes let through') + line('my.app.a', 'second'));
  });
}

describe('Devo test receiver: periodic resets', () => {
  const open: DevoReceiver[] = [];
  after(() => Promise.all(open.map((r) => r.close())));
  const pattern = [false, false, true, false, false, true];

  it('resets every Nth connection as soon as it is accepted, the same connections on every run', async () => {
    for (let run = 0; run < 2; run++) {
      const r = await startDevoReceiver({ tls: false, faults: { resetEvery: 3 } });
      open.push(r);
      const outcomes: string[] = [];
      for (let i = 0; i < pattern.length; i++) outcomes.push(await sendPlain(r));
      assert.deepEqual(
        outcomes.map((o) => o !== 'end'),
        pattern,
        `run ${run}: ${outcomes.join(',')}`,
      );
      await r.waitFor(() => r.rawConnections.length === pattern.length && r.rawConnections.every((x) => x.closed));
      assert.deepEqual(
        r.rawConnections.map((x) => x.dropped),
        pattern,
      );
      assert.deepEqual(
        r.rawConnections.map((x) => x.lines),
        pattern.map((dropped) => (dropped ? 0 : 2)),
      );
    }
  });

  it('resets every Nth connection after dropAfterBytes when that is set', async () => {
    const r = await startDevoReceiver({
      tls: false,
      faults: { resetEvery: 3, dropAfterBytes: 30, dropConnections: 0 },
    });
    open.push(r);
    const outcomes: string[] = [];
    for (let i = 0; i < pattern.length; i++) outcomes.push(await sendPlain(r));
    assert.deepEqual(
      outcomes.map((o) => o === 'ECONNRESET'),
      pattern,
      outcomes.join(','),
    );
    await r.waitFor(() => r.rawConnections.length === pattern.length && r.rawConnections.every((x) => x.closed));
    assert.deepEqual(
      r.rawConnections.map((x) => (x.dropped ? x.discardedBytes : x.lines)),
      [2, 2, 30, 2, 2, 30],
    );
  });

  it('resets every Nth connection over mutual TLS', async () => {
    const r = await startDevoReceiver({ faults: { resetEvery: 2 } });
    open.push(r);
    const c = testCerts();
    const send = (): Promise<string> =>
      new Promise((resolve) => {
        const s = connect({ host: '127.0.0.1', port: r.port, ca: c.ca, cert: c.clientCert, key: c.clientKey });
        s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
        s.on('end', () => resolve('end'));
        s.resume();
        s.once('secureConnect', () => s.end(line('my.app.t', 'over tls')));
      });
    const outcomes = [await send(), await send(), await send()];
    assert.equal(outcomes[0], 'end');
    assert.notEqual(outcomes[1], 'end');
    assert.equal(outcomes[2], 'end');
    await r.waitFor(() => r.rawConnections.length === 3 && r.rawConnections.every((x) => x.closed));
    assert.deepEqual(
      r.rawConnections.map((x) => x.dropped),
      [false, true, false],
    );
    assert.equal(r.byTag.get('my.app.t')?.length, 2);
  });

  it('refuses a resetEvery that is not a whole number >= 1', async () => {
    await assert.rejects(startDevoReceiver({ tls: false, faults: { resetEvery: 0 } }), /resetEvery/);
  });
});
