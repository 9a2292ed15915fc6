import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonArraySplitter } from '../../shared/management/json-array-splitter.ts';

/** Feeds `text` in chunks of `size` bytes and returns every element. */
function split(text: string, size: number): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const splitter = new JsonArraySplitter();
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += size)
    out.push(...splitter.push(bytes.subarray(i, i + size)).map((r) => r.toString('utf8')));
  splitter.end();
  return out;
}

const records = [
  '{"Id":"1","Workload":"Exchange","Subject":"Résumé – 東京 🎉"}',
  '{"Id":"2","Nested":{"a":[1,2,{"b":"]}\\"["}]},"Text":"line1\\nline2"}',
  '{"Id":"3","Empty":{},"List":[]}',
  '{"Id":"4","Path":"C:\\\\dir\\\\","Quote":"x\\\\\\"y\\\\","Tail":"\\\\"}',
];

describe('JsonArraySplitter', () => {
  it('returns each record exactly as sent, whatever the chunk size', () => {
    const text = `[${records.join(',')}]`;
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) assert.deepEqual(split(text, size), records, `chunk size ${size}`);
  });

  it('makes pretty-printed records one line without touching strings', () => {
    const pretty = JSON.stringify(
      records.map((r) => JSON.parse(r)),
      null,
      2,
    );
    const out = split(pretty, 5);
    assert.deepEqual(
      out,
      records.map((r) => JSON.stringify(JSON.parse(r))),
    );
    assert.ok(out.every((r) => !r.includes('\n')));
  });

  it('finds every record of generated arrays cut at seeded random points, empty chunks included', () => {
    // Strings full of what the scan must step over: quotes, runs of backslashes, brackets, multi-byte characters.
    const alphabet = ['a', '"', '\\', '\\\\', '{', '}', '[', ']', ',', ':', ' ', 'é', '東', '🎉', '\n'];
    // Mulberry32: 32-bit integer steps, so every draw stays exact.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const text = (): string => Array.from({ length: next(12) }, () => alphabet[next(alphabet.length)]).join('');
    for (let round = 0; round < 200; round++) {
      const expected = Array.from({ length: 1 + next(4) }, (_, i) =>
        JSON.stringify({ Id: String(i), [text()]: text(), Nested: { list: [text(), { k: text() }], n: next(99) } }),
      );
      const bytes = Buffer.from(`[${expected.join(',')}]`, 'utf8');
      const splitter = new JsonArraySplitter();
      const out: string[] = [];
      for (let at = 0; at < bytes.length;) {
        const to = Math.min(bytes.length, at + next(24));
        out.push(...splitter.push(bytes.subarray(at, to)).map((r) => r.toString('utf8')));
        at = to;
      }
      splitter.end();
      assert.deepEqual(out, expected, `round ${round}`);
    }
  });

  it('accepts an empty array', () => {
    assert.deepEqual(split(' [ ] ', 1), []);
  });

  it('rejects an error object, a truncated array and non-record elements', () => {
    assert.throws(() => split('{"error":{"code":"AF20051"}}', 4), /expected a JSON array/);
    assert.throws(() => split(`[${records[0]},{"Id":"2"`, 4), /cut off/);
    assert.throws(() => split('[1,2]', 4), /expected a record object/);
    assert.throws(() => split('["x"]', 1), /expected a record object/);
    assert.throws(() => split('[{"Id":"1"}] {', 3), /unexpected data after the end/);
    assert.throws(() => split('[{"Id":"1"}}]', 3), /expected a record object/);
    assert.throws(() => split('', 4), /empty response/);
  });
});
