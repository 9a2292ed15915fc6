import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueRecords } from '../../shared/management/queue-records.ts';

const records = ['a', 'b', 'c', 'd'].map((s) => Buffer.from(s));

describe('queueRecords', () => {
  it('returns nothing, and hands every record over at once, when none has to wait', () => {
    const seen: string[] = [];
    const result = queueRecords(records, (r) => void seen.push(r.toString()));
    assert.equal(result, undefined, 'no promise: the body reader goes on without pausing the response');
    assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
  });

  it('hands the records after one that waits only once it is taken, in order', async () => {
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const result = queueRecords(records, (r) => {
      seen.push(r.toString());
      if (r.toString() === 'b') return new Promise<void>((resolve) => (release = resolve));
      return undefined;
    });
    assert.ok(result instanceof Promise);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, ['a', 'b'], 'nothing after b while b waits');
    release();
    await result;
    assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
  });

  it('rejects with the failure of a record that waited, and hands nothing more over', async () => {
    const seen: string[] = [];
    const failure = new Error('the pipeline stopped');
    const result = queueRecords(records, (r) => {
      seen.push(r.toString());
      return r.toString() === 'c' ? Promise.reject(failure) : undefined;
    });
    await assert.rejects(result as Promise<void>, failure);
    assert.deepEqual(seen, ['a', 'b', 'c']);
  });
});
