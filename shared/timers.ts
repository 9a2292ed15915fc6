import { settings, type Env, type SettingSpec } from './config/index.ts';
import { MANAGEMENT_FUNCTIONS } from './management/content-types.ts';
import { invokeManagementFunction } from './management/invoke.ts';
import { URI_RETRY_FUNCTION } from './management/uri-retry.ts';
import { MESSAGE_TRACE_FUNCTION } from './messagetrace/collector.ts';
import { invokeMessageTrace } from './messagetrace/invoke.ts';
import type { Logger } from './telemetry/logger.ts';

/** A timer function: its name, the app setting holding its schedule, and what one invocation does. */
export interface TimerFunction {
  name: string;
  schedule: SettingSpec<string>;
  invoke(env: Env, logger: Logger): Promise<unknown>;
}

/** Every timer function of the app, in one table: the Functions host, `npm run collect` and `npm start` read it. */
export const TIMER_FUNCTIONS: readonly TimerFunction[] = [
  ...MANAGEMENT_FUNCTIONS.map((fn) => ({
    name: fn.functionName,
    schedule: fn.schedule,
    invoke: (env: Env, logger: Logger) => invokeManagementFunction(fn.functionName, env, logger),
  })),
  {
    name: URI_RETRY_FUNCTION,
    schedule: settings.uriRetrySchedule,
    invoke: (env: Env, logger: Logger) => invokeManagementFunction(URI_RETRY_FUNCTION, env, logger),
  },
  {
    name: MESSAGE_TRACE_FUNCTION,
    schedule: settings.messageTraceSchedule,
    invoke: (env: Env, logger: Logger) => invokeMessageTrace(env, logger),
  },
];

export function timerFunction(name: string): TimerFunction | undefined {
  return TIMER_FUNCTIONS.find((f) => f.name === name);
}

/** The platform's own switch: `AzureWebJobs.<name>.Disabled` = true (the legacy collectors' `input_status`). */
export function isDisabled(name: string, env: Env): boolean {
  return /^(true|1)$/i.test(env[`AzureWebJobs.${name}.Disabled`]?.trim() ?? '');
}
