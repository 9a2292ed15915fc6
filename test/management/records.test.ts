import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DedupeFilter } from '../../shared/dedupe/index.ts';
import { deliverBatch, Outbox } from '../../shared/pipeline/index.ts';
import { createRecordSink, isRecordRejected, withUtcSuffix } from '../../shared/management/records.ts';
import { tagForWorkload } from '../../shared/management/content-types.ts';
import { createObfuscator } from '../../shared/telemetry/obfuscate.ts';
import { emptyStatistics } from '../../shared/telemetry/statistics.ts';
import { lineSink } from '../support/line-sink.ts';

const framer = lineSink(() => {});
const settings = { capacity: 1000, bufferSize: 10, errorRate: 1e-6 };

/** Collects what the outbox would hand to Devo. */
async function sent(outbox: Outbox): Promise<[string, string][]> {
  const lines: [string, string][] = [];
  await deliverBatch(
    outbox.take(),
    lineSink((tag, message) => lines.push([tag, message])),
  );
  return lines;
}

/** A sink without obfuscation into a fresh outbox, with its own filter unless one is given. */
function plainSink(options: { filter?: DedupeFilter; stats?: ReturnType<typeof emptyStatistics> } = {}) {
  const outbox = new Outbox(framer);
  const sink = createRecordSink({
    filter: options.filter ?? DedupeFilter.create(settings, 1),
    pipeline: outbox,
    stats: options.stats ?? emptyStatistics(),
    obfuscate: undefined,
  });
  return { outbox, sink };
}

describe('record sink', () => {
  it('queues new records under their Workload table and drops duplicates', async () => {
    const stats = emptyStatistics();
    const { outbox, sink } = plainSink({ stats });
    const a = '{"Id":"a","Workload":"MicrosoftTeams","CreationTime":"2026-11-20T10:00:00"}';
    sink(Buffer.from(a));
    sink(Buffer.from(a));
    assert.deepEqual(await sent(outbox), [['cloud.office365.management.microsoftteams', a]]);
    assert.deepEqual([stats.eventsReceived, stats.duplicates], [2, 1]);
  });

  it('sends a record that is not valid JSON as received, to the unknown table', async () => {
    const { outbox, sink } = plainSink();
    const broken = '{"Id":"x","Flag":tru}';
    sink(Buffer.from(broken));
    assert.deepEqual(await sent(outbox), [['cloud.office365.management.unknown', broken]]);
  });

  it('refuses such a record when fields must be obfuscated, without marking it as seen', () => {
    const filter = DedupeFilter.create(settings, 1);
    const sink = createRecordSink({
      filter,
      pipeline: new Outbox(framer),
      stats: emptyStatistics(),
      obfuscate: createObfuscator(['UserId'], 'k'.repeat(16)),
    });
    const broken = '{"UserId":"alice@contoso.com","Flag":tru}';
    assert.throws(
      () => sink(Buffer.from(broken)),
      (err) => isRecordRejected(err),
    );
    assert.equal(filter.has(broken), false);
  });

  it('sends bytes that are not UTF-8 as text with U+FFFD, under the digest of that text', async () => {
    const filter = DedupeFilter.create(settings, 1);
    const { outbox, sink } = plainSink({ filter });
    const bytes = Buffer.concat([
      Buffer.from('{"Id":"z","Workload":"Exchange","S":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    assert.equal(sink(bytes), true);
    const text = '{"Id":"z","Workload":"Exchange","S":"\ufffd"}';
    assert.deepEqual(await sent(outbox), [['cloud.office365.management.exchange', text]]);
    assert.equal(filter.has(text), true, 'the digest is the one of the text sent');
    assert.equal(sink(Buffer.from(text)), false, 'the same record as valid UTF-8 is its duplicate');
  });

  it('keeps a record with a raw line break on one line', async () => {
    const { outbox, sink } = plainSink();
    // Raw CR and LF bytes inside a string: not valid JSON, but they must not split the event on Devo's side.
    sink(Buffer.from('{"Id":"n","Workload":"Exchange","S":"a\nb\r"}'));
    sink(Buffer.from('{"Id":"m","Workload":"Exchange","S":"a\r\nb"}'));
    assert.deepEqual(
      (await sent(outbox)).map(([, message]) => message),
      ['{"Id":"n","Workload":"Exchange","S":"a\\nb\\r"}', '{"Id":"m","Workload":"Exchange","S":"a\\r\\nb"}'],
    );
  });
});

describe('event time', () => {
  it('reads CreationTime as UTC unless it names its zone', () => {
    const at = (t: string): number => Date.parse(withUtcSuffix(t));
    assert.equal(at('2026-11-20T10:01:02'), Date.UTC(2026, 10, 20, 10, 1, 2));
    assert.equal(at('2026-11-20T10:01:02.5'), Date.UTC(2026, 10, 20, 10, 1, 2, 500));
    assert.equal(at('2026-11-20T10:01:02Z'), Date.UTC(2026, 10, 20, 10, 1, 2));
    assert.equal(at('2026-11-20T10:01:02+01:00'), Date.UTC(2026, 10, 20, 9, 1, 2));
    assert.equal(at('2026-11-20T10:01:02-0130'), Date.UTC(2026, 10, 20, 11, 31, 2));
  });

  it('tags the same Workload with the same tag, however it is spelled', () => {
    assert.equal(tagForWorkload('AzureActiveDirectory'), 'cloud.office365.management.azureactivedirectory');
    assert.equal(tagForWorkload('Azure Active-Directory'), tagForWorkload('AzureActiveDirectory'));
    assert.equal(tagForWorkload('!!'), 'cloud.office365.management.unknown');
    assert.equal(tagForWorkload(undefined), 'cloud.office365.management.unknown');
  });
});

describe('record fields', () => {
  it('tags a record by its top-level Workload even when a nested object comes first', async () => {
    const { outbox, sink } = plainSink();
    sink(Buffer.from('{"X":{"Workload":"SharePoint"},"Workload":"Exchange","CreationTime":"2026-11-20T10:01:02"}'));
    assert.equal((await sent(outbox))[0]?.[0], tagForWorkload('Exchange'));
  });
});
