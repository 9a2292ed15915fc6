import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DedupeFilter } from '../../shared/dedupe/index.ts';
import type { DedupeSettings } from '../../shared/config/index.ts';
import type { FlushOptions } from '../../shared/devo/sender.ts';
import type { PersistedFilter } from '../../shared/state/index.ts';
import { memoryBlobStore } from '../support/memory-blob-store.ts';
import { lineSink } from '../support/line-sink.ts';
import { DeliveryPipeline, type EventSink } from '../../shared/pipeline/index.ts';
import { emptyStatistics } from '../../shared/telemetry/statistics.ts';

/** A never-saved filter with a fixed seed, as `loadFilter` returns one for a first run. */
function freshFilter(name: string, settings: DedupeSettings): PersistedFilter {
  return {
    name,
    settings,
    filter: DedupeFilter.create(settings, 1),
    sealedEtag: undefined,
    epoch: 0,
    journalBytes: 0,
    sealedGeneration: -1,
    previousStored: undefined,
    needsSeal: true,
    readOnly: false,
  };
}

/** What happened, in order: each send, each confirmation, each state write. */
function harness(options: { devoDown?: boolean } = {}) {
  const events: string[] = [];
  const hooks = {
    onLine: (_tag: string, message: string): unknown => events.push(`send ${message}`),
    flush: async (_options: FlushOptions): Promise<void> => {
      if (options.devoDown === true) throw new Error('Devo unreachable');
      events.push('confirm');
    },
  };
  const sink: EventSink = lineSink(
    (tag, message) => hooks.onLine(tag, message),
    (flushOptions) => hooks.flush(flushOptions),
  );
  // Journal and generation blobs are reported under the state's own name.
  const blobs = memoryBlobStore((what) => events.push(what.replace(/\.[0-9a-f]{8}\..*$/, '')));
  const stats = emptyStatistics();
  const filter = freshFilter('f.bloom', { capacity: 1000, bufferSize: 10, errorRate: 1e-6 });
  const progress = () => async () => void events.push('progress');
  return { events, sink, hooks, blobs, stats, filter, progress };
}

/** A pipeline over the harness that delivers every couple of events. */
const smallBatches = (h: ReturnType<typeof harness>): DeliveryPipeline =>
  new DeliveryPipeline({ sink: h.sink, blobs: h.blobs, filter: h.filter, stats: h.stats, spillBytes: 30 });

/** Runs four readers that queue event-0 … event-199 between them, yielding after each one, as blob fetches do. */
function queueEvents(
  pipeline: DeliveryPipeline,
  intake: (m: string) => unknown,
  progress: () => () => Promise<void>,
): Promise<void> {
  return pipeline.run(async () => {
    const reader = async (from: number): Promise<void> => {
      for (let i = from; i < 200; i += 4) {
        await intake(`event-${i}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all([0, 1, 2, 3].map(reader));
  }, progress);
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
      assert.deepEqual(h.stats.sentByTag, {});
      assert.equal(h.stats.eventsQueued, 1);
    }, h.progress);
    assert.deepEqual(h.events, ['send a', 'confirm', 'save f.bloom', 'append f.bloom', 'progress']);
    assert.deepEqual([h.stats.eventsSent, h.stats.newestEventTime], [1, 1000]);
    assert.deepEqual(h.stats.sentByTag, { t: 1 }, 'per tag too, once confirmed');
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
    assert.deepEqual(h.events, ['send a', 'confirm', 'save f.bloom', 'append f.bloom', 'progress']);
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
    assert.throws(() => pipeline.intake(() => {})('more'), /Devo unreachable/);
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

  it('queues the next batch while one is delivered, and writes only digests of events Devo confirmed', async () => {
    const h = harness();
    const pipeline = smallBatches(h);
    const confirmed = new Set<string>();
    const onTheWire: string[] = [];
    let flushing = false;
    let queuedWhileFlushing = 0;
    h.hooks.onLine = (_tag, message) => onTheWire.push(message);
    h.hooks.flush = async () => {
      flushing = true;
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (const m of onTheWire.splice(0)) confirmed.add(m);
      flushing = false;
    };
    // Every digest a write makes durable must be of an event Devo already confirmed.
    const journaled = DedupeFilter.create(h.filter.settings, h.filter.filter.seed);
    const { append } = h.blobs;
    h.blobs.append = async (name, data, at) => {
      journaled.replay(data);
      for (let i = 0; i < 200; i++) {
        const m = `event-${i}`;
        if (journaled.has(m)) assert.ok(confirmed.has(m), `${m} saved as seen before Devo confirmed it`);
      }
      return append(name, data, at);
    };
    const intake = pipeline.intake((m: string) => {
      if (flushing) queuedWhileFlushing += 1;
      if (pipeline.filter.addIfNew(m)) pipeline.add('t', m);
    });
    await queueEvents(pipeline, intake, h.progress);
    assert.equal(confirmed.size, 200);
    assert.equal(h.stats.eventsSent, 200);
    assert.ok(queuedWhileFlushing > 20, `fetching went on during deliveries (${queuedWhileFlushing} queued meanwhile)`);
    for (let i = 0; i < 200; i++) assert.equal(journaled.has(`event-${i}`), true);
  });

  it('writes the next delivery while one is confirmed, with never more than two sent and unsaved', async () => {
    const h = harness();
    const pipeline = smallBatches(h);
    // Each delivery's events, as it was written; saved once every one of them is journaled.
    const deliveries: string[][] = [];
    let onTheWire: string[] = [];
    let confirming = 0;
    let mostUnsaved = 0;
    let writtenWhileConfirming = 0;
    const journaled = DedupeFilter.create(h.filter.settings, h.filter.filter.seed);
    const unsaved = (): number => deliveries.filter((d) => d.some((m) => !journaled.has(m))).length;
    h.hooks.onLine = (_tag, message) => onTheWire.push(message);
    h.hooks.flush = async ({ onWritten }) => {
      deliveries.push(onTheWire);
      onTheWire = [];
      mostUnsaved = Math.max(mostUnsaved, unsaved());
      if (confirming > 0) writtenWhileConfirming += 1;
      onWritten?.();
      confirming += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      confirming -= 1;
    };
    const { append } = h.blobs;
    h.blobs.append = async (name, data, at) => {
      await new Promise((resolve) => setTimeout(resolve, 3));
      journaled.replay(data);
      return append(name, data, at);
    };
    const intake = pipeline.intake((m: string) => {
      if (pipeline.filter.addIfNew(m)) pipeline.add('t', m);
    });
    await queueEvents(pipeline, intake, h.progress);
    assert.equal(h.stats.eventsSent, 200);
    assert.equal(unsaved(), 0);
    assert.ok(writtenWhileConfirming > 3, `deliveries overlapped (${writtenWhileConfirming} written during a confirm)`);
    assert.equal(mostUnsaved, 2, 'two deliveries, never more, were sent and unsaved at once');
  });
});
