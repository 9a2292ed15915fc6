import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const BENCH = fileURLToPath(new URL('../../tools/bench.ts', import.meta.url));
const RECORDS = 2000;

type Report = Record<string, Record<string, unknown>>;

const positive = (value: unknown, what: string): number => {
  assert.ok(typeof value === 'number' && Number.isFinite(value) && value > 0, `${what}: ${String(value)}`);
  return value;
};

const share = (value: unknown, what: string): void => {
  assert.ok(typeof value === 'number' && value > -1 && value < 1, `${what}: ${String(value)}`);
};

describe('npm run bench', () => {
  // Two rounds, so both orders (raw first, product first) run; the cold-start figures need a build and are skipped.
  it('reports every end-to-end figure for a tiny feed', { timeout: 60_000 }, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BENCH, '--records', String(RECORDS), '--blobs', '10', '--rounds', '2', '--skip-cold-start'],
      { maxBuffer: 1 << 20 },
    );
    const r = JSON.parse(stdout) as Report;
    assert.deepEqual(r.delivered, { product: [RECORDS, RECORDS], raw: [RECORDS, RECORDS] });
    assert.deepEqual(r.secondCatchUpInWorker?.delivered, [RECORDS, RECORDS], 'the second catch-up delivered all');
    positive(r.secondCatchUpInWorker?.eventsPerSecondRatio, 'secondCatchUpInWorker.eventsPerSecondRatio');
    positive(r.secondCatchUpInWorker?.cpuSecondsPerEventRatio, 'secondCatchUpInWorker.cpuSecondsPerEventRatio');
    assert.match(String(r.config?.product), /bundled by tools\/bundle\.ts/, 'the product runs as deployed');
    for (const key of [
      'eventsPerSecond',
      'cpuSecondsPerEvent',
      'mainThreadCpuSecondsPerEvent',
      'wallSeconds',
      'peakRssBytes',
    ] as const) {
      positive(r[key]?.product, `${key}.product`);
      positive(r[key]?.raw, `${key}.raw`);
    }
    for (const key of ['eventsPerSecond', 'cpuSecondsPerEvent', 'mainThreadCpuSecondsPerEvent'] as const) {
      const ratio = positive(r[key]?.ratio, `${key}.ratio`);
      const expected = (r[key]?.product as number) / (r[key]?.raw as number);
      assert.ok(Math.abs(ratio / expected - 1) < 0.01, `${key}.ratio ${ratio} is not product ÷ raw`);
    }
    for (const side of ['product', 'raw'] as const) {
      const whole = r.cpuSecondsPerEvent?.[side] as number;
      const main = r.mainThreadCpuSecondsPerEvent?.[side] as number;
      // Rounded to 3 digits each: a main thread that did all the work may read a hair above the whole process.
      assert.ok(main <= whole * 1.01, `${side}: main thread ${main} s per event, whole process ${whole}`);
    }
    const start = r.workerFirstInvocation as { wallSeconds?: number; cpuSeconds?: number } | undefined;
    positive(start?.wallSeconds, 'workerFirstInvocation.wallSeconds');
    positive(start?.cpuSeconds, 'workerFirstInvocation.cpuSeconds');
    const withStart = r.includingWorkerStart as Record<string, number> | undefined;
    // Counting the worker's start in makes the product slower and costlier per event, never the other way round.
    assert.ok((withStart?.eventsPerSecondRatio as number) < (r.eventsPerSecond?.ratio as number));
    assert.ok((withStart?.cpuSecondsPerEventRatio as number) > (r.cpuSecondsPerEvent?.ratio as number));
    for (const key of ['idleShareOfWall', 'runQueueWaitShareOfWall'] as const) {
      share(r[key]?.product, `${key}.product`);
      share(r[key]?.raw, `${key}.raw`);
    }
    assert.ok((r.peakRssBytes?.product as number) > 20e6, 'peak RSS of a Node process is tens of megabytes');

    const blob = r.blobStorage as Record<string, unknown> & { warmInvocation: Record<string, number> };
    positive(blob.bytesWrittenPerMillionRecords, 'blob bytes written');
    positive(blob.bytesReadPerMillionRecords, 'blob bytes read');
    positive(blob.requestsPerMillionRecords, 'blob requests');
    positive(blob.warmInvocation.requests, 'warm invocation blob requests');
    assert.ok((blob.warmInvocation.bytesRead ?? -1) >= 0);
    assert.equal(blob.warmInvocation.eventsDelivered, 0, 'a warm invocation with nothing new sends nothing');

    // The pipe lists 7 windows of a day; the collector at least as many.
    assert.equal(r.listRequestsPerContentType7DayCatchUp?.raw, 7);
    assert.ok((r.listRequestsPerContentType7DayCatchUp?.product as number) >= 7);
    positive(r.simulator?.servingEventsPerSecond, 'simulator serving rate');
    positive(r.simulator?.overProductRate, 'simulator over product');
    assert.equal(r.coldStart, null);
    assert.equal(r.collectorWarnings, 0);
    assert.equal(r.invalidLines, 0);
    assert.equal(r.machine?.node, process.version);
    positive(r.machine?.cpus, 'cpus');
    assert.equal((r.machine?.loadAverageAtStart as number[]).length, 3);
  });
});
