/**
 * A small stand-in for the Functions host on this machine: every enabled timer function runs on its NCRONTAB
 * schedule (UTC), one invocation at a time per function, as the timer trigger's singleton lock does in Azure.
 */
import { randomUUID } from 'node:crypto';
import { nextOccurrence, parseNcrontab, type Env, type Schedule } from '../../shared/config/index.ts';
import { readAll } from '../../shared/config/readers.ts';
import { collect } from '../../shared/config/spec.ts';
import { TIMER_FUNCTIONS, isDisabled, type TimerFunction } from '../../shared/timers.ts';
import type { Logger } from '../../shared/telemetry/logger.ts';

/** setTimeout's ceiling (about 24.8 days); longer waits are re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface HostOptions {
  env: Env;
  logger: Logger;
  /** The functions to run; the app's TIMER_FUNCTIONS unless a test hands in its own. */
  functions?: readonly TimerFunction[];
  /** Fire every enabled function once right away, then follow the schedules (for the demo). */
  runOnStart?: boolean;
  /** Hold the event loop open until `stop()`, as a long-running host should; tests leave it off. */
  keepAlive?: boolean;
}

export interface ScheduledFunctionState {
  name: string;
  expression: string;
  /** When the next slot is, or undefined once stopped. */
  nextRun: Date | undefined;
  running: boolean;
  invocations: number;
  failures: number;
  /** Slots that came while the previous invocation was still going. */
  skipped: number;
}

export interface StopResult {
  /** False when invocations were still going at the timeout; their names are in `abandoned`. */
  finished: boolean;
  abandoned: string[];
}

export interface LocalHost {
  /** Enabled functions with their schedule and counters. */
  readonly functions: readonly ScheduledFunctionState[];
  /** Names of the functions skipped by `AzureWebJobs.<name>.Disabled`. */
  readonly disabled: readonly string[];
  /** Clears every timer, then waits for running invocations, at most `timeoutMs` (default 30 s). */
  stop(timeoutMs?: number): Promise<StopResult>;
}

/** The first fire time of an NCRONTAB expression strictly after `after` (UTC, whole seconds). */
export function nextFireTime(expression: string, after: Date): Date {
  return nextOccurrence(parseNcrontab(expression), after);
}

/** How long to wait for a slot, capped to what one setTimeout can hold; never negative. */
export function timerDelay(slot: number, now: number): number {
  return Math.min(Math.max(0, slot - now), MAX_TIMER_MS);
}

interface Entry {
  fn: TimerFunction;
  schedule: Schedule;
  state: ScheduledFunctionState;
  timer: NodeJS.Timeout | undefined;
  current: Promise<void> | undefined;
}

/**
 * Reads every enabled function's schedule setting with the setting's own parser, so a bad expression is reported as
 * its InitVariablesError (all of them together) and nothing starts.
 */
function readSchedules(functions: readonly TimerFunction[], env: Env): Map<TimerFunction, string> {
  return readAll((problems) => {
    const expressions = new Map<TimerFunction, string>();
    for (const fn of functions) expressions.set(fn, collect(fn.schedule, env, problems));
    return expressions;
  });
}

/** Starts the host; throws a ConfigError, before any timer is set, when a schedule setting is invalid. */
export function startHost(options: HostOptions): LocalHost {
  const { env, logger } = options;
  const all = options.functions ?? TIMER_FUNCTIONS;
  const disabled = all.filter((fn) => isDisabled(fn.name, env)).map((fn) => fn.name);
  const enabled = all.filter((fn) => !disabled.includes(fn.name));
  const expressions = readSchedules(enabled, env);
  let stopping = false;

  const entries: Entry[] = enabled.map((fn) => {
    const expression = expressions.get(fn) as string;
    return {
      fn,
      schedule: parseNcrontab(expression),
      timer: undefined,
      current: undefined,
      state: {
        name: fn.name,
        expression,
        nextRun: undefined,
        running: false,
        invocations: 0,
        failures: 0,
        skipped: 0,
      },
    };
  });

  const invoke = (entry: Entry, reason: string): void => {
    const { state } = entry;
    if (entry.current !== undefined) {
      state.skipped += 1;
      logger.warn(`Skipping '${state.name}' (${reason}): the previous invocation is still running.`);
      return;
    }
    const id = randomUUID();
    const started = Date.now();
    state.running = true;
    state.invocations += 1;
    logger.info(`Executing '${state.name}' (Reason='${reason}', Id=${id})`);
    entry.current = (async () => {
      try {
        await entry.fn.invoke(env, logger);
        logger.info(`Executed '${state.name}' (Succeeded, Id=${id}, Duration=${Date.now() - started}ms)`);
      } catch (err) {
        state.failures += 1;
        const message = err instanceof Error ? err.message : String(err);
        logger.error(`Executed '${state.name}' (Failed, Id=${id}, Duration=${Date.now() - started}ms): ${message}`);
      } finally {
        state.running = false;
        entry.current = undefined;
      }
    })();
  };

  const arm = (entry: Entry, slot: Date, announce: boolean): void => {
    entry.state.nextRun = slot;
    if (announce) logger.info(`'${entry.state.name}' next run at ${slot.toISOString()}`);
    entry.timer = setTimeout(() => fire(entry, slot), timerDelay(slot.getTime(), Date.now()));
    entry.timer.unref();
  };

  const fire = (entry: Entry, slot: Date): void => {
    if (stopping) return;
    // Wall clock and timers can disagree by a few ms, and long waits are capped: wait out the rest of the slot.
    if (Date.now() < slot.getTime()) return arm(entry, slot, false);
    invoke(entry, `Timer fired at ${slot.toISOString()}`);
    // From the slot, not from now, so the same slot never fires twice; slots missed while blocked are not replayed.
    const next = nextOccurrence(entry.schedule, new Date(Math.max(Date.now(), slot.getTime())));
    arm(entry, next, true);
  };

  for (const name of disabled) logger.info(`Function '${name}' is disabled (AzureWebJobs.${name}.Disabled).`);
  const now = new Date();
  for (const entry of entries) {
    logger.info(`Function '${entry.state.name}': schedule '${entry.state.expression}' (UTC)`);
    if (options.runOnStart) invoke(entry, 'Run on start');
    arm(entry, nextOccurrence(entry.schedule, now), true);
  }
  if (entries.length === 0) logger.warn('No timer function is enabled.');
  const keepAlive = options.keepAlive ? setInterval(() => {}, MAX_TIMER_MS) : undefined;

  return {
    functions: entries.map((e) => e.state),
    disabled,
    async stop(timeoutMs = 30_000): Promise<StopResult> {
      stopping = true;
      for (const entry of entries) {
        clearTimeout(entry.timer);
        entry.state.nextRun = undefined;
      }
      const running = entries.filter((e) => e.current !== undefined);
      if (running.length > 0) {
        logger.info(`Waiting for ${running.map((e) => `'${e.state.name}'`).join(', ')} to finish...`);
      }
      let timeout: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timeout = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([Promise.allSettled(running.map((e) => e.current)), timedOut]);
      clearTimeout(timeout);
      clearInterval(keepAlive);
      const abandoned = entries.filter((e) => e.current !== undefined).map((e) => e.state.name);
      if (outcome === 'timeout' && abandoned.length > 0) {
        logger.warn(`Stopped without waiting for ${abandoned.join(', ')} (still running after ${timeoutMs} ms).`);
        return { finished: false, abandoned };
      }
      return { finished: true, abandoned: [] };
    },
  };
}
