/**
 * One measured run in its own process, so its CPU time and peak RSS are its own: `fetch` or `raw` (tools/bench/pipe.ts)
 * or `product` (the real Management function, then a second, warm invocation with nothing new, then the same catch-up
 * once more on fresh state). Reports over IPC.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Env } from '../../shared/config/index.ts';
import type { Logger } from '../../shared/telemetry/logger.ts';
import type * as Timers from '../../shared/timers.ts';
import { runPipe, type PipeOptions } from './pipe.ts';

export interface ChildJob {
  mode: 'fetch' | 'raw' | 'product';
  pipe: PipeOptions;
  functionName: string;
  /** A function with nothing to collect, invoked first so the measured run finds a worker already started. */
  warmUpFunctionName: string;
  env: Env;
  /** Product runs: the environment of the second catch-up, whose state (container, table) is fresh again. */
  againEnv?: Env;
  /**
   * The timer table (shared/timers.ts) bundled as the deploy package bundles it (tools/bundle.ts), so the product
   * runs the code Azure runs rather than the TypeScript sources. Product runs only.
   */
  productEntry?: string;
}

/** Wall and CPU time of one phase of a run, in this process. */
export interface PhaseUsage {
  wallMs: number;
  cpuMs: number;
  /** Time the main thread was ready to run but waited for a core (Linux schedstat; NaN elsewhere). */
  runQueueMs: number;
  /**
   * CPU time of the main thread alone (Linux schedstat; NaN elsewhere). The rest of `cpuMs` is V8's and libuv's
   * background threads (garbage collection, compilation) and the kernel's work for them.
   */
  mainThreadCpuMs: number;
}

/**
 * The main thread's time on a core and its run-queue wait so far (ms), from /proc/self/schedstat (the thread group
 * leader's): a wait is "idle" time that was really a wait for a core on a loaded machine.
 */
function mainThreadTimes(): { onCpuMs: number; waitMs: number } {
  try {
    const [onCpu, wait] = readFileSync('/proc/self/schedstat', 'utf8').split(' ');
    return { onCpuMs: Number(onCpu) / 1e6, waitMs: Number(wait) / 1e6 };
  } catch {
    return { onCpuMs: Number.NaN, waitMs: Number.NaN };
  }
}

export type ChildMessage =
  | { phase: 'done'; usage: PhaseUsage; records: number; listRequests: number; maxRssBytes: number }
  | { phase: 'started' }
  | { phase: 'first'; usage: PhaseUsage }
  | { phase: 'catch-up'; usage: PhaseUsage; stats: unknown; warnings: number }
  | { phase: 'warm'; usage: PhaseUsage; stats: unknown; maxRssBytes: number; warnings: number }
  | { phase: 'again'; usage: PhaseUsage; warnings: number };

const send = (message: ChildMessage): Promise<void> =>
  new Promise((resolve, reject) => process.send?.(message, undefined, {}, (err) => (err ? reject(err) : resolve())));

const nextMessage = (): Promise<unknown> => new Promise((resolve) => process.once('message', resolve));

async function measured<T>(body: () => Promise<T>): Promise<{ value: T; usage: PhaseUsage }> {
  const cpu = process.cpuUsage();
  const before = mainThreadTimes();
  const start = performance.now();
  const value = await body();
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - start;
  const after = mainThreadTimes();
  return {
    value,
    usage: {
      wallMs,
      cpuMs: (used.user + used.system) / 1000,
      runQueueMs: after.waitMs - before.waitMs,
      mainThreadCpuMs: after.onCpuMs - before.onCpuMs,
    },
  };
}

let warnings = 0;
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message) => {
    warnings += 1;
    process.stderr.write(`warn ${message}\n`);
  },
  error: (message) => {
    warnings += 1;
    process.stderr.write(`error ${message}\n`);
  },
};

/**
 * This process's own peak resident memory. Not `resourceUsage().maxRSS`: Linux carries the high-water mark of the
 * forked copy of the parent over the exec, so it reports at least the parent's size at the fork (the bench's
 * simulator holds every blob), whatever the child itself used. VmHWM belongs to the exec'd image alone.
 */
function peakRssBytes(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm !== null) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux: fall back to what the platform reports.
  }
  return process.resourceUsage().maxRSS * 1024;
}

const job = JSON.parse((await nextMessage()) as string) as ChildJob;
if (job.mode === 'product') {
  if (job.productEntry === undefined) throw new Error('a product run needs the bundled timer table');
  // Imported here so the pipe runs are not charged with the product's modules.
  const { timerFunction } = (await import(pathToFileURL(job.productEntry).href)) as typeof Timers;
  // What the Functions host's handler does (functions/timers.ts): the timer's invoke, given the environment.
  const invoke = (name: string, env = job.env): Promise<unknown> => {
    const fn = timerFunction(name);
    if (fn === undefined) throw new Error(`no timer function ${name} in ${job.productEntry}`);
    return fn.invoke(env, logger);
  };
  // A Functions worker serves many invocations of all the functions: modules, credentials and clients are set up by
  // its first one. That first invocation is measured on its own, so the catch-up shows what the work itself costs.
  const first = await measured(() => invoke(job.warmUpFunctionName));
  await send({ phase: 'first', usage: first.usage });
  const run = () => invoke(job.functionName);
  const catchUp = await measured(run);
  await send({ phase: 'catch-up', usage: catchUp.usage, stats: catchUp.value, warnings });
  await nextMessage();
  const warm = await measured(run);
  const maxRssBytes = peakRssBytes();
  await send({ phase: 'warm', usage: warm.usage, stats: warm.value, maxRssBytes, warnings });
  if (job.againEnv !== undefined) {
    // The same catch-up from fresh state in this worker, whose code the first one got compiled: what a worker that
    // has served catch-ups before costs. Peak RSS was read before it.
    const againEnv = job.againEnv;
    await nextMessage();
    const again = await measured(() => invoke(job.functionName, againEnv));
    await send({ phase: 'again', usage: again.usage, warnings });
  }
} else {
  const pipe = job.mode === 'raw' ? job.pipe : { ...job.pipe, devo: undefined };
  // Marks where the measured run begins, so the bench can count the other processes' CPU over the same span.
  await send({ phase: 'started' });
  const { value, usage } = await measured(() => runPipe(pipe));
  const maxRssBytes = peakRssBytes();
  await send({ phase: 'done', usage, records: value.records, listRequests: value.listRequests, maxRssBytes });
}
process.disconnect();
