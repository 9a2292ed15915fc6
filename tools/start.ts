/**
 * `npm start`: runs every enabled timer function on its schedule, on this machine. With O365_TENANT_ID set (in the
 * environment or `local.settings.json`) it collects from that tenant with those settings; without it, it starts the
 * built-in demo on simulated data. Ctrl-C or SIGTERM stops it; a second Ctrl-C exits at once.
 *
 * Options: `--demo` runs the demo whatever the settings say; `--no-local-settings` ignores `local.settings.json`;
 * `--debug` prints the debug traces (as LOG_LEVEL=debug does).
 * Exit codes: 0 stopped, 1 could not start, 2 bad usage or settings, 130 second Ctrl-C.
 */
import { isConfigError, maskIdentifier, readManagementConfig, type Env } from '../shared/config/index.ts';
import type { Logger } from '../shared/telemetry/logger.ts';
import { startDemo } from './local/demo.ts';
import { startHost, type StopResult } from './local/host.ts';
import { consoleLoggerAt, localEnvironment, localLogLevel } from './local/settings.ts';

const OPTIONS = new Set(['--demo', '--no-local-settings', '--debug']);
const args = process.argv.slice(2);
const unknown = args.filter((a) => !OPTIONS.has(a));
if (unknown.length > 0) {
  console.error(
    `Unknown option ${unknown.join(' ')}.\nUsage: npm start [-- --demo] [-- --no-local-settings] [-- --debug]`,
  );
  process.exit(2);
}

let stop: ((timeoutMs: number) => Promise<StopResult>) | undefined;
let stopping = false;

async function shutDown(): Promise<never> {
  const result = await stop?.(20_000);
  if (result !== undefined && !result.finished) console.error(`Abandoned: ${result.abandoned.join(', ')}.`);
  console.info('Stopped.');
  process.exit(0);
}

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    console.error(`${signal} again: exiting at once.`);
    process.exit(130);
  }
  stopping = true;
  console.info(`${signal}: stopping after running invocations finish (Ctrl-C again to exit at once)...`);
  // Before start-up completes there is nothing to stop yet; start-up checks `stopping` when it is done.
  if (stop !== undefined) void shutDown();
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

function fail(err: unknown): never {
  if (isConfigError(err)) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

let env: Env;
try {
  env = args.includes('--no-local-settings') ? { ...process.env } : localEnvironment();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

let logger: Logger;
try {
  logger = consoleLoggerAt(localLogLevel(args, env));
} catch (err) {
  fail(err);
}

if (args.includes('--demo') || (env.O365_TENANT_ID?.trim() ?? '') === '') {
  console.info('No O365_TENANT_ID configured: starting the demo on simulated data (Azurite, simulator, receiver)...');
  try {
    const demo = await startDemo({ logger });
    stop = (timeoutMs) => demo.stop(timeoutMs);
  } catch (err) {
    fail(err);
  }
} else {
  try {
    const config = readManagementConfig(env);
    console.info(
      `Collecting from tenant ${maskIdentifier(config.o365.tenantId)} to Devo ${config.devo.host}:${config.devo.port}. ` +
        'Press Ctrl-C to stop.',
    );
    const host = startHost({ env, logger, keepAlive: true });
    stop = (timeoutMs) => host.stop(timeoutMs);
  } catch (err) {
    fail(err);
  }
}
if (stopping) await shutDown();
