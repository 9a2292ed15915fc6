import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DevoSender, escapeLineBreaks, frameLine, isDevoError, validateDevoTag } from '../../shared/devo/index.ts';
import { settingsFor, startDevoReceiver, type DevoReceiver } from '../support/devo-receiver.ts';

/** The 124-byte example of the wire reference (§9). */
const REFERENCE_LINE = Buffer.from(
  '3c31343e4a616e202031203030' +
    '3a30303a303020636f6c6c6563746f72303120' +
    '636c6f75642e6f6666696365333635' +
    '2e6d616e6167656d656e742e65786368616e67653a20' +
    '7b224964223a2234653163222c224f7065726174696f6e223a2253656e64222c22576f726b6c6f6164223a2245786368616e6765227d0a',
  'hex',
);

describe('Devo line framing', () => {
  let receiver: DevoReceiver;
  before(async () => {
    receiver = await startDevoReceiver();
  });
  after(() => receiver.close());

  /** Sends through a real sender and returns the bytes the receiver got on that connection. */
  async function wireBytes(send: (s: DevoSender) => void, overrides = {}): Promise<Buffer> {
    const sender = new DevoSender({ ...settingsFor(receiver), hostname: 'collector01', ...overrides });
    const before = receiver.rawConnections.length;
    send(sender);
    await sender.close();
    await receiver.waitFor(() => receiver.rawConnections.slice(before).every((c) => c.closed), 2_000, 'close');
    return Buffer.concat(receiver.rawConnections.slice(before).map((c) => c.raw()));
  }

  it('produces the exact 124 bytes of the reference example', async () => {
    assert.equal(REFERENCE_LINE.length, 124);
    const bytes = await wireBytes((s) =>
      s.send('cloud.office365.management.exchange', '{"Id":"4e1c","Operation":"Send","Workload":"Exchange"}'),
    );
    assert.deepEqual(bytes, REFERENCE_LINE);
    const line = receiver.byTag.get('cloud.office365.management.exchange')?.[0];
    assert.equal(line?.priority, 14);
    assert.equal(line?.date, 'Jan  1 00:00:00');
    assert.equal(line?.hostname, 'collector01');
  });

  it('keeps non-ASCII text byte for byte and turns lone surrogates into U+FFFD', async () => {
    const message = '{"s":"café – 日本語 – 😀 – ü"}';
    const bytes = await wireBytes((s) => {
      s.send('my.app.test.utf8', message);
      s.send('my.app.test.utf8', 'bad \ud800 high and \udc00 low');
    });
    const expected = Buffer.concat([
      Buffer.from(`<14>Jan  1 00:00:00 collector01 my.app.test.utf8: ${message}\n`, 'utf8'),
      Buffer.from('<14>Jan  1 00:00:00 collector01 my.app.test.utf8: bad ', 'utf8'),
      Buffer.from('efbfbd', 'hex'),
      Buffer.from(' high and ', 'utf8'),
      Buffer.from('efbfbd', 'hex'),
      Buffer.from(' low\n', 'utf8'),
    ]);
    assert.deepEqual(bytes, expected);
  });

  it('escapes raw line breaks so one event stays one line', async () => {
    const bytes = await wireBytes((s) => s.send('my.app.test.multi', 'line1\nline2\r\nline3\rend'));
    assert.equal(
      bytes.toString('utf8'),
      '<14>Jan  1 00:00:00 collector01 my.app.test.multi: line1\\nline2\\r\\nline3\\rend\n',
    );
    assert.equal(bytes.filter((b) => b === 0x0a).length, 1);
    assert.equal(bytes.includes(0x0d), false);
    assert.equal(escapeLineBreaks('a\n\nb'), 'a\\n\\nb');
  });

  it('uses the configured priority and hostname', async () => {
    const bytes = await wireBytes((s) => s.send('my.app.test', 'x'), { priority: 13, hostname: 'relay-7' });
    assert.equal(bytes.toString(), '<13>Jan  1 00:00:00 relay-7 my.app.test: x\n');
    assert.deepEqual(frameLine(13, 'relay-7', 'my.app.test', 'x'), bytes);
  });

  it('rejects malformed tags with a typed error naming the tag', () => {
    const sender = new DevoSender(settingsFor(receiver));
    for (const tag of [
      'single',
      'a.b.c.d.e.f.g',
      'My.App.test',
      'my..app',
      'my.app.',
      '.my.app',
      'my.app test',
      'my.app:x',
      'my.äpp',
      '',
    ]) {
      assert.throws(
        () => sender.send(tag, 'x'),
        (err: unknown) =>
          isDevoError(err, 'DEVO_TAG_INVALID') && err.tag === tag && err.message.includes(JSON.stringify(tag)),
        `tag ${JSON.stringify(tag)} should be rejected`,
      );
    }
    // Rejected tags are not cached as valid: the same bad tag fails every time.
    assert.throws(
      () => sender.send('Bad.Tag', 'x'),
      (e: unknown) => isDevoError(e, 'DEVO_TAG_INVALID'),
    );
    assert.throws(
      () => sender.send('Bad.Tag', 'x'),
      (e: unknown) => isDevoError(e, 'DEVO_TAG_INVALID'),
    );
    for (const tag of ['my.app', 'a.b.c.d.e.f', 'cloud.office365.management.exchange', 'my.app.o365-devo_x.v2']) {
      assert.doesNotThrow(() => validateDevoTag(tag), tag);
    }
    assert.equal(sender.pendingLines, 0);
  });

  it('rejects a hostname that would break the syslog header', () => {
    assert.throws(
      () => new DevoSender({ ...settingsFor(receiver), hostname: 'my host' }),
      (err: unknown) => isDevoError(err, 'DEVO_OPTIONS_INVALID') && /hostname/.test(err.message),
    );
  });
});
