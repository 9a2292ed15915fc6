/**
 * The end-to-end bench: the product's collector against the raw pipe (tools/bench/pipe.ts) on the same simulator,
 * Azurite and mutual-TLS receiver, each run in its own process, alternating for a few rounds; medians and ratios.
 */
import { cpus, loadavg } from 'node:os';
import type { PhaseUsage } from './child.ts';
import { trafficSince, type BlobTraffic } from './blob-proxy.ts';
import { bundleTimers, type BundledTimers } from './bundled.ts';
import { measureColdStart } from './coldstart.ts';
import { sharedCpu, sharedCpuSince, type SharedCpu } from './machine-cpu.ts';
import { runChild } from './run-child.ts';
import { workerNodeArgs } from './worker-node-options.ts';
import { CONTENT_TYPE, startBenchStack, type BenchStack } from './stack.ts';

export interface E2eOptions {
  records: number;
  blobs: number;
  rounds: number;
  coldStart: boolean;
  /** Write a V8 CPU profile of every product run into this directory (it slows the runs it profiles). */
  profileDir?: string | undefined;
}

/** A measured phase and the lines the receiver counted for it. */
interface Measured {
  usage: PhaseUsage;
  delivered: number;
}

interface Run extends Measured {
  listRequests: number;
  maxRssBytes: number;
  /** CPU the simulator, receiver, blob proxy and Azurite spent over the run (machine-cpu.ts). */
  shared: SharedCpu;
}

interface ProductRun extends Run {
  /** The worker's first invocation, of a function with nothing to collect: start-up costs alone. */
  first: PhaseUsage;
  catchUp: BlobTraffic;
  warm: BlobTraffic & { wallMs: number; delivered: number; listRequests: number };
  /** The same catch-up once more in the same worker, from fresh state: its code compiled by the first. */
  again: Measured;
  warnings: number;
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
};
const round = (x: number, digits = 3): number => Number(x.toPrecision(digits));
/** The deployment's worker Node options, read once: every child run gets them. */
const NODE_ARGS = workerNodeArgs();

/** Waits until the receiver has counted `expected` lines since `before`, or they stop coming; returns the count. */
async function settle(b: BenchStack, before: number, expected: number): Promise<number> {
  let last = -1;
  for (let quiet = 0; quiet < 20;) {
    const got = (await b.lines()).total - before;
    if (got >= expected) return got;
    quiet = got === last ? quiet + 1 : 0;
    last = got;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return last;
}

const listRequests = (b: BenchStack): number =>
  b.stack.simulator.log.requests('content').filter((e) => e.contentType === CONTENT_TYPE).length;

const names = (b: BenchStack) => ({ functionName: b.functionName, warmUpFunctionName: b.warmUpFunctionName });

/** Node flags that write a CPU profile named after the run, or none. */
const profileArgs = (name: string, profileDir?: string): string[] =>
  profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${name}.cpuprofile`];

async function pipeRun(
  b: BenchStack,
  mode: 'fetch' | 'raw',
  expected: number,
  profileDir?: string,
  index = 0,
): Promise<Run> {
  const before = (await b.lines()).total;
  b.stack.simulator.log.clear();
  let start = sharedCpu(b.stack.azurite.pid);
  let shared: SharedCpu | undefined;
  const messages = await runChild(
    { mode, pipe: b.pipe(), ...names(b), env: b.env },
    (m) => {
      if (m.phase === 'started') start = sharedCpu(b.stack.azurite.pid);
      else if (m.phase === 'done') shared = sharedCpuSince(start, sharedCpu(b.stack.azurite.pid));
    },
    [...NODE_ARGS, ...profileArgs(`${mode}-${index}`, profileDir)],
  );
  const done = messages.find((m) => m.phase === 'done');
  if (done?.phase !== 'done' || shared === undefined) throw new Error(`the ${mode} run reported nothing`);
  const delivered = mode === 'raw' ? await settle(b, before, expected) : done.records;
  return {
    usage: done.usage,
    delivered,
    listRequests: listRequests(b),
    maxRssBytes: done.maxRssBytes,
    shared,
  };
}

async function productRun(
  b: BenchStack,
  productEntry: string,
  index: number,
  expected: number,
  profileDir?: string,
): Promise<ProductRun> {
  // Each run starts from empty state, as a first deployment does: its own container and table.
  const env = { ...b.env, STATE_CONTAINER_NAME: `bench-${index}`, STATE_TABLE_NAME: `bench${index}` };
  const againEnv = { ...b.env, STATE_CONTAINER_NAME: `bench-${index}-again`, STATE_TABLE_NAME: `bench${index}again` };
  let start = b.proxy.traffic();
  let lines = (await b.lines()).total;
  b.stack.simulator.log.clear();
  let result: Partial<ProductRun> = {};
  let sharedAtStart = sharedCpu(b.stack.azurite.pid);
  await runChild(
    { mode: 'product', pipe: b.pipe(), ...names(b), env, againEnv, productEntry },
    async (m) => {
      // The catch-up starts as the first invocation reports: what the others spend in between is the catch-up's.
      if (m.phase === 'first') {
        result.first = m.usage;
        sharedAtStart = sharedCpu(b.stack.azurite.pid);
      } else if (m.phase === 'catch-up') {
        const shared = sharedCpuSince(sharedAtStart, sharedCpu(b.stack.azurite.pid));
        const delivered = await settle(b, lines, expected);
        result = {
          ...result,
          usage: m.usage,
          delivered,
          listRequests: listRequests(b),
          catchUp: trafficSince(b.proxy.traffic(), start),
          shared,
          warnings: m.warnings,
        };
        start = b.proxy.traffic();
        lines = (await b.lines()).total;
        b.stack.simulator.log.clear();
      } else if (m.phase === 'warm') {
        const traffic = trafficSince(b.proxy.traffic(), start);
        const delivered = (await b.lines()).total - lines;
        result.warm = { ...traffic, wallMs: m.usage.wallMs, delivered, listRequests: listRequests(b) };
        result.maxRssBytes = m.maxRssBytes;
        result.warnings = m.warnings;
        lines = (await b.lines()).total;
      } else if (m.phase === 'again') {
        result.again = { usage: m.usage, delivered: await settle(b, lines, expected) };
        result.warnings = m.warnings;
      }
    },
    [...NODE_ARGS, ...profileArgs(`product-${index}`, profileDir)],
  );
  if (
    result.warm === undefined ||
    result.catchUp === undefined ||
    result.first === undefined ||
    result.again === undefined
  )
    throw new Error('the product run did not finish');
  return result as ProductRun;
}

const rate = (r: Measured): number => r.delivered / (r.usage.wallMs / 1000);
const cpuPerEvent = (r: Measured): number => r.usage.cpuMs / 1000 / r.delivered;
const mainThreadCpuPerEvent = (r: Run): number => r.usage.mainThreadCpuMs / 1000 / r.delivered;
const machineCpuPerEvent = (r: Run): number =>
  (r.usage.cpuMs + r.shared.benchMs + r.shared.azuriteMs) / 1000 / r.delivered;
const perEvent = (r: Run, ms: number): number => ms / 1000 / r.delivered;
/** The product's figures had its worker been started by this catch-up itself. */
const fromCold = (p: ProductRun): Run => ({
  ...p,
  usage: {
    wallMs: p.usage.wallMs + p.first.wallMs,
    cpuMs: p.usage.cpuMs + p.first.cpuMs,
    runQueueMs: p.usage.runQueueMs + p.first.runQueueMs,
    mainThreadCpuMs: p.usage.mainThreadCpuMs + p.first.mainThreadCpuMs,
  },
});
/** One round's pair of runs, made back to back. */
const roundOf = (p: Measured, q: Measured) => ({
  eventsPerSecondRatio: round(rate(p) / rate(q)),
  cpuSecondsPerEventRatio: round(cpuPerEvent(p) / cpuPerEvent(q)),
  cpuMicrosecondsPerEvent: { product: round(cpuPerEvent(p) * 1e6), raw: round(cpuPerEvent(q) * 1e6) },
});
const idle = (r: Run): number => 1 - r.usage.cpuMs / r.usage.wallMs;
const queued = (r: Run): number => r.usage.runQueueMs / r.usage.wallMs;

export async function e2eReport(o: E2eOptions): Promise<Record<string, unknown>> {
  const loadAtStart = loadavg();
  const setupStart = performance.now();
  const b = await startBenchStack(o.records, o.blobs);
  let timers: BundledTimers | undefined;
  let setupMs: number;
  const fetches: Run[] = [];
  const pairs: Array<{ product: ProductRun; raw: Run }> = [];
  let invalidLines: number;
  try {
    timers = await bundleTimers();
    const { entry } = timers;
    setupMs = performance.now() - setupStart;
    // Renders every blob body once in the simulator, so no measured run pays for it.
    await pipeRun(b, 'fetch', o.records);
    for (let r = 0; r < o.rounds; r++) {
      fetches.push(await pipeRun(b, 'fetch', o.records));
      // Which of the pair runs first alternates, so neither always meets the machine as the other left it.
      const rawRun = () => pipeRun(b, 'raw', o.records, o.profileDir, r);
      const productOf = () => productRun(b, entry, r, o.records, o.profileDir);
      if (r % 2 === 0) {
        const raw = await rawRun();
        pairs.push({ raw, product: await productOf() });
      } else {
        const product = await productOf();
        pairs.push({ product, raw: await rawRun() });
      }
    }
    invalidLines = (await b.lines()).invalid;
  } finally {
    timers?.remove();
    await b.close();
  }
  const coldStart = o.coldStart ? await measureColdStart() : undefined;
  const products = pairs.map((p) => p.product);
  const raws = pairs.map((p) => p.raw);
  const m = <T>(runs: T[], f: (r: T) => number): number => median(runs.map(f));
  const product = { rate: m(products, rate), cpu: m(products, cpuPerEvent) };
  const cold = { rate: m(products.map(fromCold), rate), cpu: m(products.map(fromCold), cpuPerEvent) };
  const raw = { rate: m(raws, rate), cpu: m(raws, cpuPerEvent) };
  const mainThread = { product: m(products, mainThreadCpuPerEvent), raw: m(raws, mainThreadCpuPerEvent) };
  const machine = { product: m(products, machineCpuPerEvent), raw: m(raws, machineCpuPerEvent) };
  const serving = m(fetches, rate);
  const perMillion = (f: (p: ProductRun) => number) => Math.round(m(products, (p) => (f(p) / p.delivered) * 1e6));
  return {
    config: {
      records: o.records,
      blobs: o.blobs,
      rounds: o.rounds,
      contentType: CONTENT_TYPE,
      // The product runs from the bundle the deploy package ships, not from the TypeScript sources.
      product: 'shared/timers.ts bundled by tools/bundle.ts',
      setupMs: round(setupMs),
    },
    delivered: { product: products.map((p) => p.delivered), raw: raws.map((r) => r.delivered) },
    // Each round's pair, run back to back: the spread shows how much of a median's distance is the machine's noise.
    rounds: pairs.map((p) => roundOf(p.product, p.raw)),
    eventsPerSecond: { product: round(product.rate), raw: round(raw.rate), ratio: round(product.rate / raw.rate) },
    cpuSecondsPerEvent: { product: round(product.cpu), raw: round(raw.cpu), ratio: round(product.cpu / raw.cpu) },
    // The same for the main thread alone: the difference is background threads (GC, compilation) and their kernel time.
    mainThreadCpuSecondsPerEvent: {
      product: round(mainThread.product),
      raw: round(mainThread.raw),
      ratio: round(mainThread.product / mainThread.raw),
    },
    // The whole machine's CPU per event: the run's own plus what the simulator, receiver, blob proxy and Azurite
    // spent meanwhile (machine-cpu.ts). With more busy processes than cores, events/s follows this ratio.
    machineCpuSecondsPerEvent: {
      product: round(machine.product),
      raw: round(machine.raw),
      ratio: round(machine.product / machine.raw),
      ofWhichSimulatorReceiverAndProxy: {
        product: round(m(products, (p) => perEvent(p, p.shared.benchMs))),
        raw: round(m(raws, (r) => perEvent(r, r.shared.benchMs))),
      },
      ofWhichAzurite: {
        product: round(m(products, (p) => perEvent(p, p.shared.azuriteMs))),
        raw: round(m(raws, (r) => perEvent(r, r.shared.azuriteMs))),
      },
    },
    // The same catch-up with the worker's start-up (its first invocation, below) counted in.
    includingWorkerStart: {
      eventsPerSecondRatio: round(cold.rate / raw.rate),
      cpuSecondsPerEventRatio: round(cold.cpu / raw.cpu),
    },
    // The same catch-up once more in the same worker, from fresh state: the code is compiled by then, as in a worker
    // that has served catch-ups before. Against the raw pipe's runs, each in a fresh process.
    secondCatchUpInWorker: {
      eventsPerSecondRatio: round(m(products, (p) => rate(p.again)) / raw.rate),
      cpuSecondsPerEventRatio: round(m(products, (p) => cpuPerEvent(p.again)) / raw.cpu),
      delivered: products.map((p) => p.again.delivered),
    },
    workerFirstInvocation: {
      wallSeconds: round(m(products, (p) => p.first.wallMs / 1000)),
      cpuSeconds: round(m(products, (p) => p.first.cpuMs / 1000)),
    },
    idleShareOfWall: { product: round(m(products, idle)), raw: round(m(raws, idle)) },
    runQueueWaitShareOfWall: { product: round(m(products, queued)), raw: round(m(raws, queued)) },
    wallSeconds: {
      product: round(m(products, (p) => p.usage.wallMs / 1000)),
      raw: round(m(raws, (r) => r.usage.wallMs / 1000)),
    },
    peakRssBytes: { product: m(products, (p) => p.maxRssBytes), raw: m(raws, (r) => r.maxRssBytes) },
    blobStorage: {
      bytesWrittenPerMillionRecords: perMillion((p) => p.catchUp.bytesWritten),
      bytesReadPerMillionRecords: perMillion((p) => p.catchUp.bytesRead),
      requestsPerMillionRecords: perMillion((p) => p.catchUp.requests),
      warmInvocation: {
        bytesRead: m(products, (p) => p.warm.bytesRead),
        bytesWritten: m(products, (p) => p.warm.bytesWritten),
        requests: m(products, (p) => p.warm.requests),
        wallSeconds: round(m(products, (p) => p.warm.wallMs / 1000)),
        eventsDelivered: m(products, (p) => p.warm.delivered),
      },
    },
    listRequestsPerContentType7DayCatchUp: {
      product: m(products, (p) => p.listRequests),
      productWarm: m(products, (p) => p.warm.listRequests),
      raw: m(raws, (r) => r.listRequests),
    },
    simulator: { servingEventsPerSecond: round(serving), overProductRate: round(serving / product.rate) },
    coldStart: coldStart === undefined ? null : { ...coldStart, importMs: round(coldStart.importMs) },
    collectorWarnings: products.reduce((n, p) => n + p.warnings, 0),
    invalidLines,
    machine: {
      node: process.version,
      cpus: cpus().length,
      loadAverageAtStart: loadAtStart.map((l) => round(l)),
      loadAverageAtEnd: loadavg().map((l) => round(l)),
    },
  };
}
