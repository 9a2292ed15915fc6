import { enumSetting, fail, integerSetting, quote, type SettingSpec } from '../spec.ts';

export const httpTimeoutSeconds = integerSetting({
  name: 'HTTP_TIMEOUT_SECONDS',
  errorId: 70,
  description:
    'Longest wait for the answer of one API request attempt, and longest pause inside its body; a body that keeps flowing is never cut off, however long it takes.',
  min: 1,
  max: 600,
  default: 60,
});

export const httpRetries = integerSetting({
  name: 'HTTP_RETRIES',
  errorId: 71,
  description:
    'Retries in place of a failed API request (throttling, 5xx, time-outs, resets, stalls, bodies cut short or not the promised JSON) before it counts as failed.',
  min: 0,
  max: 20,
  default: 5,
});

export const httpRetryWaitSeconds = integerSetting({
  name: 'HTTP_RETRY_WAIT_SECONDS',
  errorId: 72,
  description: 'First wait between retries; it doubles with each retry.',
  min: 1,
  max: 300,
  default: 2,
});

export const httpMaxRetryWaitSeconds = integerSetting({
  name: 'HTTP_MAX_RETRY_WAIT_SECONDS',
  errorId: 73,
  description: "Longest single wait between retries, a server's `Retry-After` included.",
  min: 1,
  max: 3600,
  default: 300,
});

/** `hh:mm:ss` (or `d.hh:mm:ss`) as in host.json. */
const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/;

/** The host's `functionTimeout`, read so a function stops starting new work in time to save its cursor. */
export const functionTimeout: SettingSpec<number> = {
  name: 'AzureFunctionsJobHost__functionTimeout',
  errorId: 74,
  description:
    "The host's time limit per invocation (overrides host.json). Collectors stop starting new work well before it and save their progress.",
  defaultValue: '00:30:00',
  allowed: '`hh:mm:ss`, at least 00:01:00',
  parse(raw) {
    const text = raw ?? '00:30:00';
    const m = TIMESPAN.exec(text);
    const seconds =
      m === null ? Number.NaN : Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
    if (Number.isNaN(seconds))
      fail(functionTimeout, `${quote(text)} is not a time span like 00:30:00.`, 'use hh:mm:ss.');
    if (seconds < 60) fail(functionTimeout, `${text} is shorter than one minute.`, 'allow at least 00:01:00.');
    return seconds * 1000;
  },
};

/**
 * How much the local tools print: `debug` adds the traces that explain a run. In Azure the host's own log level
 * decides what is kept (`AzureFunctionsJobHost__logging__logLevel__Function`); the template sets it from this value.
 */
export const logLevel = enumSetting({
  name: 'LOG_LEVEL',
  errorId: 75,
  description:
    '`debug` adds traces of every request, listing window, blob, checkpoint and Devo connection. `npm start` and `npm run collect` read it (`--debug` does the same); in Azure the deployment sets the host log level from it.',
  seedName: 'enable_debug_logs / debug_status',
  values: ['info', 'debug'],
  default: 'info',
});

/** In README order. */
export const RUNTIME_SETTINGS: readonly SettingSpec<unknown>[] = [
  functionTimeout,
  httpTimeoutSeconds,
  httpRetries,
  httpRetryWaitSeconds,
  httpMaxRetryWaitSeconds,
  logLevel,
];
