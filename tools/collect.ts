/**
 * `npm run collect -- <functionName> [--debug]`: exactly one invocation of a timer function, on the same code path
 * as the timer, with settings from the environment and `local.settings.json`. Starts no servers. `--debug` (or
 * LOG_LEVEL=debug) prints the debug traces. Exit codes: 0 completed, 1 the invocation failed, 2 bad usage or settings.
 */
import { isConfigError } from '../shared/config/index.ts';
import { TIMER_FUNCTIONS, timerFunction } from '../shared/timers.ts';
import { consoleLogger, consoleLoggerAt, localEnvironment, localLogLevel } from './local/settings.ts';

const args = process.argv.slice(2);
const names = args.filter((a) => a !== '--debug');
const name = names.length === 1 ? names[0] : undefined;
const fn = name === undefined || name.startsWith('-') ? undefined : timerFunction(name);
if (fn === undefined) {
  console.error(
    `Usage: npm run collect -- <functionName> [--debug]\nFunctions: ${TIMER_FUNCTIONS.map((f) => f.name).join(', ')}`,
  );
  process.exit(2);
}

try {
  const env = localEnvironment();
  await fn.invoke(env, consoleLoggerAt(localLogLevel(args, env)));
  process.exit(0);
} catch (err) {
  if (isConfigError(err)) {
    console.error(err.message);
    process.exit(2);
  }
  consoleLogger.error(`${fn.name} failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
