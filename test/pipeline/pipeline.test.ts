import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DedupeFilter } from '../../shared/dedupe/index.ts';
import { DeliveryPipeline, type EventSink } from '../../shared/pipeline/index.ts';
import type { BlobStore } from '../../shared/state/index.ts';
import { emptyStatistics } from '../../shared/telemetry/statistics.ts';

/** What happened, in order: each send, each confirmation, each state write. */
function harness(options: { devoDown?: boolean } = {}) {
  const events: string[] = [];
  const sink: EventSink = {
    send: (tag, message) => events.push(`send ${message}`) > 0,
    ready: async () => {},
    flush: async () => {
      if (options.devoDown === true) throw new Error('Devo unreachable');
      events.push('confirm');
    },
  };
  const blobs: BlobStore = {
    load: async () => undefined,
    save: async (name) => {
      events.push(`save ${name}`);
      return 'etag';
    },
    remove: async () => false,
  };
  const stats = emptyStatistics();
  const filter = {
    name: 'f.bloom',
    filter: DedupeFilter.create({ capacity: 1000, bufferSize: 10, errorRate: 1e-6 }, 1),
    etag: undefined,
  };
  const progress = async () => void events.push('progress');
  return { events, sink, blobs, stats, filter, progress };
}

describe('delivery pipeline', () => {
  it('confirms with Devo, then saves the filter, then the progress; lag and sent count only once confirmed', async () => {
    const h = harness();
    const pipeline = new DeliveryPipeline({ sink: h.sink, blobs: h.blobs, filter: h.filter, stats: h.stats });
    await pipeline.run(async () => {
      const intake = pipeline.intake((m: string) => {
        pipeline.filter.addIfNew(m);
        pipeline.add('t', m, 1000);
      });
      await intake('a');
      assert.deepEqual([h.stats.eventsSent, h.stats.newestEventTime], [0, undefined], 'nothing counted while queued');
    }, h.progress);
    assert.deepEqual(h.events, ['send a', 'confirm', 'save f.bloom', 'progress']);
    assert.deepEqual([h.stats.eventsSent, h.stats.newestEventTime], [1, 1000]);
  });

  it('checkpoints what was finished before rethrowing a failure of the work', async () => {
    const h = harness();
    const pipeline = new DeliveryPipeline({ sink: h.sink, blobs: h.blobs, filter: h.filter, stats: h.stats });
    await assert.rejects(
      pipeline.run(async () => {
        pipeline.filter.addIfNew('a');
        pipeline.add('t', 'a');
        throw new Error('AF10001 tenant-wide');
      }, h.progress),
      /AF10001/,
    );
    assert.deepEqual(h.events, ['send a', 'confirm', 'save f.bloom', 'progress']);
  });

  it('writes no state when Devo did not confirm, and accepts nothing more', async () => {
    const h = harness({ devoDown: true });
    const pipeline = new DeliveryPipeline({ sink: h.sink, blobs: h.blobs, filter: h.filter, stats: h.stats });
    await assert.rejects(
      pipeline.run(async () => {
        pipeline.filter.addIfNew('a');
        pipeline.add('t', 'a');
        await pipeline.checkpoint(h.progress);
      }, h.progress),
      /Devo unreachable/,
    );
    assert.deepEqual(h.events, ['send a'], 'neither the filter nor the progress was saved');
    await assert.rejects(pipeline.admit(), /Devo unreachable/);
    assert.equal(h.stats.eventsSent, 0);
  });

  it('writes nothing once the lock is lost', async () => {
    const h = harness();
    const lock = new AbortController();
    const pipeline = new DeliveryPipeline({
      sink: h.sink,
      blobs: h.blobs,
      filter: h.filter,
      stats: h.stats,
      signal: lock.signal,
    });
    pipeline.add('t', 'a');
    lock.abort();
    await assert.rejects(pipeline.checkpoint(h.progress), /lost its lock/);
    assert.deepEqual(h.events, []);
  });

  it('holds readers while a delivery saves the filter', async () => {
    const h = harness();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    h.sink.flush = async () => {
      await gate;
      h.events.push('confirm');
    };
    const pipeline = new DeliveryPipeline({ sink: h.sink, blobs: h.blobs, filter: h.filter, stats: h.stats });
    pipeline.filter.addIfNew('a');
    pipeline.add('t', 'a');
    const checkpoint = pipeline.checkpoint(h.progress);
    let admitted = false;
    const reader = pipeline.admit().then(() => (admitted = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(admitted, false, 'the reader waits');
    release();
    await Promise.all([checkpoint, reader]);
    assert.equal(admitted, true);
    assert.deepEqual(h.events, ['send a', 'confirm', 'save f.bloom', 'progress']);
  });
});
