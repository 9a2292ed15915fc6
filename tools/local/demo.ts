/**
 * `npm start` without a tenant: the whole pipeline on this machine with simulated data. Azurite keeps the state, the
 * Office 365 simulator serves audit content (and keeps publishing more), and a local Devo receiver shows what
 * arrives, per tag.
 */
import type { Env } from '../../shared/config/index.ts';
import type { Logger } from '../../shared/telemetry/logger.ts';
import { MANAGEMENT_FUNCTIONS } from '../../shared/management/content-types.ts';
import { URI_RETRY_FUNCTION } from '../../shared/management/uri-retry.ts';
import { TIMER_FUNCTIONS, isDisabled } from '../../shared/timers.ts';
import { trustTestCa } from '../../test/support/tls.ts';
import { CONTENT_TYPES } from '../simulator/index.ts';
import { startHost, type LocalHost, type StopResult } from './host.ts';
import { startLocalStack, type LocalStack } from './stack.ts';

/** Demo-friendly settings: quick retries, a small filter, and a run every minute. */
export const DEMO_OVERRIDES: Readonly<Record<string, string>> = {
  HTTP_RETRY_WAIT_SECONDS: '1',
  HTTP_TIMEOUT_SECONDS: '10',
  BLOOM_FILTER_SIZE: '100000',
  BLOOM_FILTER_BUFFER_SIZE: '1000',
  ...Object.fromEntries(
    TIMER_FUNCTIONS.map((fn) => [
      fn.schedule.name,
      fn.name === URI_RETRY_FUNCTION ? '30 */5 * * * *' : '0 */1 * * * *',
    ]),
  ),
};

/**
 * Whether the local stack plays every endpoint a function calls. A function it does not serve would reach Microsoft's
 * real endpoints with simulated credentials, so the demo switches it off instead. Message trace joins once the stack
 * points MESSAGE_TRACE_URL at a simulator.
 */
export function servedByStack(name: string, stackEnv: Env): boolean {
  if (name === URI_RETRY_FUNCTION || MANAGEMENT_FUNCTIONS.some((f) => f.functionName === name)) return true;
  return name === 'messageTrace' && stackEnv.MESSAGE_TRACE_URL !== undefined;
}

/** The settings the demo runs with: the stack's, the demo overrides, and the functions it cannot serve disabled. */
export function demoEnv(stackEnv: Env, now: number): Env {
  const off = TIMER_FUNCTIONS.filter((fn) => !servedByStack(fn.name, stackEnv));
  return {
    ...stackEnv,
    ...DEMO_OVERRIDES,
    MANAGEMENT_START_TIME: demoStartTime(now),
    ...Object.fromEntries(off.map((fn) => [`AzureWebJobs.${fn.name}.Disabled`, 'true'])),
  };
}

export interface DemoOptions {
  /** Where the banner and the per-tag summary go (default stdout). */
  print?: (line: string) => void;
  /** Where host and collector logs go. */
  logger: Logger;
  /** How often the simulator publishes new content (default 20 s). */
  publishEveryMs?: number;
  /** How often the per-tag summary is printed when something arrived (default 5 s). */
  summaryEveryMs?: number;
}

export interface Demo {
  stack: LocalStack;
  host: LocalHost;
  env: Env;
  /** Stops the host (waiting for running invocations up to `timeoutMs`), then the stack. */
  stop(timeoutMs?: number): Promise<StopResult>;
}

/**
 * Where the demo's collectors start: the simulator's seeded content spans the two days before it starts, so three
 * days back (midnight UTC) covers all of it without reaching the API's 7-day limit.
 */
export function demoStartTime(now: number): string {
  const day = 86_400_000;
  return new Date(Math.floor(now / day) * day - 3 * day).toISOString();
}

/** `tag  +n  (total t)` lines for the tags that grew since `previous`, which is updated in place. */
export function tagSummary(counts: ReadonlyMap<string, number>, previous: Map<string, number>): string[] {
  const width = Math.max(0, ...[...counts.keys()].map((t) => t.length));
  const lines: string[] = [];
  for (const [tag, total] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    const added = total - (previous.get(tag) ?? 0);
    if (added > 0) lines.push(`  ${tag.padEnd(width)}  +${String(added).padEnd(4)} (total ${total})`);
    previous.set(tag, total);
  }
  return lines;
}

/** One received line shortened for the console. */
export function sampleLine(message: string, max = 160): string {
  const flat = message.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

function banner(stack: LocalStack, env: Env, publishEveryMs: number): string[] {
  const schedules = TIMER_FUNCTIONS.map(
    (fn) =>
      `    ${fn.name.padEnd(26)} ${isDisabled(fn.name, env) ? 'off: the demo does not simulate its API' : (env[fn.schedule.name] ?? '')}`,
  );
  return [
    '',
    '================================================================================',
    ' o365-devo-functions: DEMO with SIMULATED data (npm start without O365_TENANT_ID)',
    '================================================================================',
    ' Running on this machine:',
    `   Azurite (state)            blob ${stack.azurite.blobEndpoint}  table ${stack.azurite.tableEndpoint}`,
    `   Office 365 simulator       ${stack.simulator.origin}  (tenant ${stack.simulator.tenantId})`,
    `   Devo receiver (mTLS)       ${stack.receiver.host}:${stack.receiver.port}`,
    ' Timer functions (NCRONTAB, UTC), each also run once now:',
    ...schedules,
    ` The simulator publishes new audit content every ${Math.round(publishEveryMs / 1000)} s; what the Devo receiver gets`,
    ' is summarised per tag below. Nothing leaves this machine.',
    ' To collect from a real tenant, put O365_TENANT_ID and the other settings in local.settings.json',
    ' (see local.settings.sample.json) and run npm start again.',
    ' Press Ctrl-C to stop.',
    '================================================================================',
    '',
  ];
}

/** Starts the stack, the host on it, the publisher and the summary. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const print = options.print ?? ((line: string) => console.log(line));
  const stack = await startLocalStack();
  // The simulator's certificate is signed by the test CA; trust it in this process instead of turning checks off.
  trustTestCa();
  const env = demoEnv(stack.env, Date.now());
  const publishEveryMs = options.publishEveryMs ?? 20_000;
  for (const line of banner(stack, env, publishEveryMs)) print(line);

  let host: LocalHost;
  try {
    host = startHost({ env, logger: options.logger, runOnStart: true, keepAlive: true });
  } catch (err) {
    await stack.close();
    throw err;
  }

  const seenTags = new Set<string>();
  const previous = new Map<string, number>();
  const summaryEveryMs = options.summaryEveryMs ?? 5_000;
  let lastSummary = 0;
  // Checked every second so the first events show at once; later summaries come at most every `summaryEveryMs`.
  const summarise = (force = false): void => {
    if (!force && lastSummary !== 0 && Date.now() - lastSummary < summaryEveryMs) return;
    const counts = new Map<string, number>();
    for (const [tag, lines] of stack.receiver.byTag) {
      counts.set(tag, lines.length);
      const first = lines[0];
      if (!seenTags.has(tag) && first !== undefined) {
        seenTags.add(tag);
        print(`New tag ${tag}, sample: ${sampleLine(first.message)}`);
      }
    }
    const lines = tagSummary(counts, previous);
    if (lines.length === 0) return;
    lastSummary = Date.now();
    print(`[${new Date().toISOString()}] Events received by Devo (${stack.receiver.lines.length} in all):`);
    for (const line of lines) print(line);
  };
  const summaryTimer = setInterval(summarise, Math.min(1_000, summaryEveryMs));
  summaryTimer.unref();

  let round = 0;
  const publish = (): void => {
    // Two content types per round, in turn, with a handful of records each, so every tag keeps moving.
    for (const ct of [CONTENT_TYPES[round % CONTENT_TYPES.length], CONTENT_TYPES[(round + 1) % CONTENT_TYPES.length]]) {
      if (ct === undefined) continue;
      const count = 3 + ((round * 7) % 6);
      stack.simulator.addBlob(ct, stack.simulator.generateRecords(ct, count), Date.now());
      options.logger.info(`Simulator published a new ${ct} blob with ${count} records.`);
    }
    round += 1;
  };
  const publishTimer = setInterval(publish, publishEveryMs);
  publishTimer.unref();

  let stopped: Promise<StopResult> | undefined;
  return {
    stack,
    host,
    env,
    stop(timeoutMs?: number): Promise<StopResult> {
      stopped ??= (async () => {
        clearInterval(publishTimer);
        clearInterval(summaryTimer);
        const result = await host.stop(timeoutMs);
        summarise(true);
        await stack.close();
        return result;
      })();
      return stopped;
    },
  };
}
