/**
 * `npm run collect -- <functionName>`: exactly one invocation of a timer function, on the same code path as the
 * timer, with settings from the environment and `local.settings.json`. Starts no servers. Exit codes: 0 completed,
 * 1 the invocation failed, 2 bad usage or settings.
 */
import { isConfigError } from '../shared/config/index.ts';
import { TIMER_FUNCTIONS, timerFunction } from '../shared/timers.ts';
import { consoleLogger, localEnvironment } from './local/settings.ts';

const name = process.argv[2];
const fn = name === undefined ? undefined : timerFunction(name);
if (fn === undefined) {
  console.error(
    `Usage: npm run collect -- <functionName>\nFunctions: ${TIMER_FUNCTIONS.map((f) => f.name).join(', ')}`,
  );
  process.exit(2);
}

try {
  await fn.invoke(localEnvironment(), consoleLogger);
  process.exit(0);
} catch (err) {
  if (isConfigError(err)) {
    console.error(err.message);
    process.exit(2);
  }
  consoleLogger.error(`${fn.name} failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
