import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DedupeFilter } from '../../shared/dedupe/index.ts';
import { deliverBatch, Outbox } from '../../shared/pipeline/index.ts';
import { createRecordSink, isRecordRejected } from '../../shared/management/records.ts';
import { createObfuscator } from '../../shared/telemetry/obfuscate.ts';
import { emptyStatistics } from '../../shared/telemetry/statistics.ts';

const settings = { capacity: 1000, bufferSize: 10, errorRate: 1e-6 };

/** Collects what the outbox would hand to Devo. */
async function sent(outbox: Outbox): Promise<[string, string][]> {
  const lines: [string, string][] = [];
  await deliverBatch(outbox.take(), {
    send: (tag, message) => lines.push([tag, message]) > 0,
    ready: async () => {},
    flush: async () => {},
  });
  return lines;
}

describe('record sink', () => {
  it('queues new records under their Workload table and drops duplicates', async () => {
    const outbox = new Outbox();
    const stats = emptyStatistics();
    const sink = createRecordSink({
      filter: DedupeFilter.create(settings, 1),
      pipeline: outbox,
      stats,
      obfuscate: undefined,
    });
    const a = '{"Id":"a","Workload":"MicrosoftTeams","CreationTime":"2026-11-20T10:00:00"}';
    sink(a);
    sink(a);
    assert.deepEqual(await sent(outbox), [['cloud.office365.management.microsoftteams', a]]);
    assert.deepEqual([stats.eventsReceived, stats.duplicates], [2, 1]);
  });

  it('sends a record that is not valid JSON as received, to the unknown table', async () => {
    const outbox = new Outbox();
    const sink = createRecordSink({
      filter: DedupeFilter.create(settings, 1),
      pipeline: outbox,
      stats: emptyStatistics(),
      obfuscate: undefined,
    });
    const broken = '{"Id":"x","Flag":tru}';
    sink(broken);
    assert.deepEqual(await sent(outbox), [['cloud.office365.management.unknown', broken]]);
  });

  it('refuses such a record when fields must be obfuscated, without marking it as seen', () => {
    const filter = DedupeFilter.create(settings, 1);
    const sink = createRecordSink({
      filter,
      pipeline: new Outbox(),
      stats: emptyStatistics(),
      obfuscate: createObfuscator(['UserId'], 'k'.repeat(16)),
    });
    const broken = '{"UserId":"alice@contoso.com","Flag":tru}';
    assert.throws(
      () => sink(broken),
      (err) => isRecordRejected(err),
    );
    assert.equal(filter.has(broken), false);
  });
});
