import { settings, type Env, type SettingSpec } from './config/index.ts';
import { MESSAGE_TRACE_FUNCTION, URI_RETRY_FUNCTION } from './function-names.ts';
import { MANAGEMENT_FUNCTIONS } from './management/content-types.ts';
import type { Logger } from './telemetry/logger.ts';

/** A timer function: its name, the app setting holding its schedule, and what one invocation does. */
export interface TimerFunction {
  name: string;
  schedule: SettingSpec<string>;
  invoke(env: Env, logger: Logger): Promise<unknown>;
}

// The collectors, with the storage SDKs and the HTTP client behind them, are imported by the first invocation rather
// than when the host loads the functions: registering a timer needs only its name and schedule, and the host's
// start-up waits for that load.
const management = () => import('./management/invoke.ts');
const messageTrace = () => import('./messagetrace/invoke.ts');

/** Every timer function of the app, in one table: the Functions host, `npm run collect` and `npm start` read it. */
export const TIMER_FUNCTIONS: readonly TimerFunction[] = [
  ...MANAGEMENT_FUNCTIONS.map((fn) => ({
    name: fn.functionName,
    schedule: fn.schedule,
    invoke: async (env: Env, logger: Logger) =>
      (await management()).invokeManagementFunction(fn.functionName, env, logger),
  })),
  {
    name: URI_RETRY_FUNCTION,
    schedule: settings.uriRetrySchedule,
    invoke: async (env: Env, logger: Logger) =>
      (await management()).invokeManagementFunction(URI_RETRY_FUNCTION, env, logger),
  },
  {
    name: MESSAGE_TRACE_FUNCTION,
    schedule: settings.messageTraceSchedule,
    invoke: async (env: Env, logger: Logger) => (await messageTrace()).invokeMessageTrace(env, logger),
  },
];

export function timerFunction(name: string): TimerFunction | undefined {
  return TIMER_FUNCTIONS.find((f) => f.name === name);
}

/** The platform's own switch: `AzureWebJobs.<name>.Disabled` = true (the legacy collectors' `input_status`). */
export function isDisabled(name: string, env: Env): boolean {
  return /^(true|1)$/i.test(env[`AzureWebJobs.${name}.Disabled`]?.trim() ?? '');
}
