import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageTraceConfig } from '../../shared/config/index.ts';
import type { TraceRow, TraceSource } from '../../shared/messagetrace/client.ts';
import { collectMessageTrace } from '../../shared/messagetrace/collector.ts';
import type { EventSink } from '../../shared/pipeline/index.ts';
import type { CursorStore } from '../../shared/state/index.ts';
import { memoryBlobStore } from '../support/memory-blob-store.ts';
import { silentLogger } from '../../shared/telemetry/logger.ts';
import { emptyStatistics } from '../../shared/telemetry/statistics.ts';
import { lineSink } from '../support/line-sink.ts';

const DAY = 86_400_000;

/** Stores kept in memory: what the collector saved is all this test looks at. */
function memoryStores() {
  const cursors = new Map<string, unknown>();
  const cursorStore: CursorStore = {
    load: async <T>(name: string) =>
      cursors.has(name) ? { value: cursors.get(name) as T, etag: 'e', version: 1 } : undefined,
    save: async (name: string, value: unknown) => {
      cursors.set(name, value);
      return 'e';
    },
    remove: async () => true,
  } as unknown as CursorStore;
  const blobStore = memoryBlobStore();
  return { cursors, cursorStore, blobStore };
}

const config = {
  api: 'graph',
  delayMs: 90_000_000,
  daysBack: 3,
  marginMs: 60_000,
  outputFormat: 'graph',
  organization: 'contoso.onmicrosoft.com',
  dedupe: { capacity: 10_000, bufferSize: 100, errorRate: 1e-6 },
} as unknown as MessageTraceConfig;

const sink: EventSink = lineSink(() => {});

describe('message trace windows', () => {
  it('requests rows up to exactly now − MESSAGE_TRACE_DELAY_SECONDS, in whole seconds, and never past it', async () => {
    const now = new Date('2026-12-01T12:00:00.750Z');
    const windows: Array<[Date, Date]> = [];
    const source: TraceSource = {
      api: 'graph',
      async *listWindow(start, end) {
        windows.push([start, end]);
        const row: TraceRow = { id: `m${windows.length}`, recipientAddress: 'a@b', status: 'delivered' };
        yield { rows: [row], more: false };
      },
    };
    const stores = memoryStores();
    await collectMessageTrace({
      config,
      source,
      sink,
      cursors: stores.cursorStore,
      blobs: stores.blobStore,
      logger: silentLogger,
      stats: emptyStatistics(),
      deadline: Date.now() + 60_000,
      now: () => now,
    });
    const liveEdge = Math.floor((now.getTime() - config.delayMs) / 1000) * 1000;
    assert.equal(windows.at(-1)?.[1].getTime(), liveEdge, 'the last window ends exactly at the live edge');
    for (const [start, end] of windows) assert.ok(start < end && end.getTime() <= liveEdge);
    for (let i = 1; i < windows.length; i += 1)
      assert.equal(windows[i]?.[0].getTime(), windows[i - 1]?.[1].getTime(), 'windows tile without a gap');
    assert.equal(windows[0]?.[0].getTime(), now.getTime() - 3 * DAY + config.marginMs, 'the first starts days back');
    const saved = stores.cursors.get('messageTrace') as { position: string };
    assert.equal(Date.parse(saved.position), liveEdge, 'and the cursor stops there');
  });
});
