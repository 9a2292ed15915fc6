import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRUNCATION_MARKER, capEvent, messageBudget } from '../../shared/devo/event-cap.ts';
import { FramedLines } from '../../shared/devo/framed-lines.ts';

const MARKER_BYTES = Buffer.byteLength(TRUNCATION_MARKER);
const bytesOf = (value: string | Uint8Array): number =>
  typeof value === 'string' ? Buffer.byteLength(value) : value.length;

describe('capEvent', () => {
  for (const form of ['text', 'bytes'] as const) {
    const make = (text: string): string | Uint8Array => (form === 'text' ? text : Buffer.from(text));

    it(`keeps an event exactly at the budget as it is (${form})`, () => {
      const message = make('a'.repeat(100));
      assert.equal(capEvent(message, 100), message);
    });

    it(`cuts an event one byte over the budget, ending in the marker and using the whole budget (${form})`, () => {
      const message = make('a'.repeat(101));
      const capped = capEvent(message, 100);
      assert.notEqual(capped, message);
      assert.equal(typeof capped, typeof message);
      assert.equal(bytesOf(capped), 100);
      const text = Buffer.from(capped).toString('utf8');
      assert.ok(text.endsWith(TRUNCATION_MARKER));
      assert.equal(text, `${'a'.repeat(100 - MARKER_BYTES)}${TRUNCATION_MARKER}`);
    });

    it(`never splits a multi-byte UTF-8 character at the cut (${form})`, () => {
      // "€" is 3 bytes: with 2 bytes of room left before the marker the character is left out whole.
      const room = 100 - MARKER_BYTES;
      const message = make(`${'a'.repeat(room - 2)}${'€'.repeat(20)}`);
      const capped = capEvent(message, 100);
      const text = Buffer.from(capped).toString('utf8');
      assert.equal(text, `${'a'.repeat(room - 2)}${TRUNCATION_MARKER}`);
      assert.ok(!text.includes('\uFFFD'));
      assert.ok(bytesOf(capped) <= 100);
      // With exactly 3 bytes of room it fits whole.
      const fits = Buffer.from(capEvent(make(`${'a'.repeat(room - 3)}${'€'.repeat(20)}`), 100)).toString('utf8');
      assert.equal(fits, `${'a'.repeat(room - 3)}€${TRUNCATION_MARKER}`);
    });

    it(`gives the marker alone when the budget is smaller than the marker (${form})`, () => {
      const capped = capEvent(make('x'.repeat(50)), 5);
      assert.equal(Buffer.from(capped).toString('utf8'), TRUNCATION_MARKER);
    });
  }

  it('measures text by its UTF-8 bytes, not its length', () => {
    // 40 characters of 3 bytes each: 120 bytes, over a budget of 100 although the string is only 40 long.
    const message = '€'.repeat(40);
    assert.notEqual(capEvent(message, 100), message);
    assert.equal(capEvent('€'.repeat(33), 100), '€'.repeat(33));
  });

  it('counts the prefix and the LF against the cap', () => {
    assert.equal(messageBudget(30, 1024), 993);
  });
});

describe('FramedLines with a cap', () => {
  it('cuts an oversized event to the cap and counts it, leaving others alone', () => {
    const prefix = Buffer.from('<14>Jan  1 00:00:00 h my.app.cap: ');
    const lines = new FramedLines(64 * 1024, 1024);
    lines.append('my.app.cap', prefix, 'small');
    const size = lines.append('my.app.cap', prefix, Buffer.from('z'.repeat(5_000)));
    assert.equal(size, 1024);
    const batch = lines.take();
    assert.equal(batch.truncated, 1);
    assert.equal(batch.lines, 2);
    const [first, second] = Buffer.concat(batch.chunks.map((c) => c.data))
      .toString('utf8')
      .split('\n');
    assert.equal(first, `${prefix.toString()}small`);
    assert.equal(Buffer.byteLength(`${second}\n`), 1024);
    assert.ok(second?.endsWith(TRUNCATION_MARKER));
    assert.equal(lines.take().truncated, 0, 'the count starts again with each batch');
  });
});
