import { existsSync, readFileSync } from 'node:fs';
import { readLogLevel, type Env, type LogLevel } from '../../shared/config/index.ts';
import type { Logger } from '../../shared/telemetry/logger.ts';

/**
 * The settings a local run sees: `local.settings.json` `Values` when the file exists, with environment variables
 * winning, as Core Tools does. The file's own errors are reported with its path.
 */
export function localEnvironment(path = 'local.settings.json', env: NodeJS.ProcessEnv = process.env): Env {
  if (!existsSync(path)) return { ...env };
  let values: unknown;
  try {
    values = (JSON.parse(readFileSync(path, 'utf8')) as { Values?: unknown }).Values;
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (values === undefined) return { ...env };
  if (values === null || typeof values !== 'object') throw new Error(`${path}: "Values" must be an object of settings`);
  const merged: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(values)) merged[key] = value === null ? undefined : String(value);
  return { ...merged, ...env };
}

/**
 * A console logger with UTC timestamps, shaped like the Functions host's output. Debug lines print only at the
 * `debug` level, as the host drops them below its own log level.
 */
export function consoleLoggerAt(level: LogLevel): Logger {
  return atLevel(level, consoleLogger);
}

/** `logger` with its debug lines dropped below the `debug` level. */
export function atLevel(level: LogLevel, logger: Logger): Logger {
  return level === 'debug' ? logger : { ...logger, debug: () => {} };
}

/** The level of a local run: `--debug` among the arguments, else LOG_LEVEL (default `info`). */
export function localLogLevel(args: readonly string[], env: Env): LogLevel {
  return args.includes('--debug') ? 'debug' : readLogLevel(env);
}

/** Every level printed; callers that honour LOG_LEVEL use `consoleLoggerAt`. */
export const consoleLogger = {
  debug: (message: string) => console.debug(`[${new Date().toISOString()}] DEBUG ${message}`),
  info: (message: string) => console.info(`[${new Date().toISOString()}] ${message}`),
  warn: (message: string) => console.warn(`[${new Date().toISOString()}] WARNING ${message}`),
  error: (message: string) => console.error(`[${new Date().toISOString()}] ERROR ${message}`),
};
