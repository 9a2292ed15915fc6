import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tagForWorkload } from '../../shared/management/content-types.ts';
import { readFields, withUtcSuffix } from '../../shared/management/record-fields.ts';
import { createRandom } from '../../tools/simulator/random.ts';

/** What the sink takes from a record it parses: the fields of the JSON, the time through Date.parse. */
function byParsing(text: string): { tag: string; created: number } {
  const record = JSON.parse(text) as { Workload: string; CreationTime: string };
  return { tag: tagForWorkload(record.Workload), created: Date.parse(withUtcSuffix(record.CreationTime)) };
}

function byBytes(text: string): { tag: string; created: number } | undefined {
  const out = { tag: '', created: 0 };
  return readFields(Buffer.from(text), out) ? out : undefined;
}

const record = (time: string, workload = 'Exchange'): string =>
  `{"CreationTime":"${time}","Id":"1","Operation":"Send","Workload":"${workload}","Item":{"Subject":"x"}}`;

describe('record fields read from bytes', () => {
  it('reads the tag and time of a documented record, and the tag of each workload in turn', () => {
    for (const workload of ['Exchange', 'SharePoint', 'Exchange', 'AzureActiveDirectory', 'Exchange', 'OneDrive']) {
      assert.deepEqual(byBytes(record('2026-11-20T10:01:02', workload)), {
        tag: tagForWorkload(workload),
        created: Date.UTC(2026, 10, 20, 10, 1, 2),
      });
    }
  });

  it('gives the time Date.parse gives, for every shape a CreationTime takes and many that it should not', () => {
    const fixed = [
      '2026-11-20T10:01:02',
      '2026-11-20T10:01:02Z',
      '2026-11-20T10:01:02.5',
      '2026-11-20T10:01:02.123',
      '2026-11-20T10:01:02.1234567',
      '2026-11-20T10:01:02.1239Z',
      '2026-11-20T10:01:02+02:00',
      '2026-11-20T10:01:02.1-0530',
      '2026-02-29T00:00:00',
      '2024-02-29T23:59:59',
      '2026-12-31T23:59:59.999',
      '0099-01-01T00:00:00',
      '1999-13-01T00:00:00',
      '2026-11-20T24:00:00',
      '2026-11-20T10:60:02',
      '2026-11-20T10:01:02.',
      '2026-11-20 10:01:02',
      '2026-11-20',
      'not a time',
      '',
    ];
    const random = createRandom(11);
    const digits = '0123456789';
    const generated = Array.from({ length: 3000 }, () => {
      const pick = (n: number) => Array.from({ length: n }, () => random.pick([...digits])).join('');
      const base = `${random.chance(0.5) ? '20' : pick(2)}${pick(2)}-${pick(2)}-${pick(2)}T${pick(2)}:${pick(2)}:${pick(2)}`;
      const fraction = random.chance(0.5) ? `.${pick(random.int(0, 8))}` : '';
      const zone = random.pick(['', '', 'Z', '+01:00', 'x']);
      return `${base}${fraction}${zone}`;
    });
    for (const time of [...fixed, ...generated]) {
      const expected = byParsing(record(time));
      const actual = byBytes(record(time));
      assert.ok(actual !== undefined, time);
      assert.equal(actual.tag, expected.tag, time);
      assert.ok(Object.is(actual.created, expected.created), `${time}: ${actual.created} vs ${expected.created}`);
    }
  });

  it('reads false where the record must be parsed: a field missing, escaped, or after something nested', () => {
    for (const text of [
      '{"X":{"Workload":"Other"},"Workload":"Exchange","CreationTime":"2026-11-20T10:01:02"}',
      '{"CreationTime":"2026-11-20T10:01:02","L":["a"],"Workload":"Exchange"}',
      '{"CreationTime":"2026-11-20T10:01:02","Id":"1"}',
      '{"CreationTime":"2026-11-20T10:01:02","Workload":"Ex\\\\change"}',
      '{"Workload":"Exchange","CreationTime":"2026-11-20T10:01:02\\u005a"}',
      '{"WorkloadX":"Exchange","CreationTime":"2026-11-20T10:01:02"}',
    ]) {
      assert.equal(byBytes(text), undefined, text);
    }
  });

  it('finds a field whose first letter also starts earlier keys and values', () => {
    const text =
      '{"Case":"C","CreationTimeX":"no","CreationTime":"2026-11-20T10:01:02","W":"W","Workload":"SharePoint"}';
    assert.deepEqual(byBytes(text), { tag: tagForWorkload('SharePoint'), created: Date.UTC(2026, 10, 20, 10, 1, 2) });
  });
});
