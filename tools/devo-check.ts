/**
 * `npm run devo-check`: proves, step by step, that this environment can deliver to Devo.
 * Reads the same DEVO_* settings as the functions; sends one event tagged `my.app.o365devo.check`.
 * Exit codes: 0 delivered and confirmed, 1 a connection step failed, 2 the settings are unusable.
 */
import { checkDevoConnection, type DevoCheckResult } from '../shared/devo/check.ts';
import { readDevoSettings } from '../shared/config/index.ts';
import type { DevoSettings } from '../shared/config/settings-types.ts';

const STEP_LABEL: Record<string, string> = {
  settings: 'Settings',
  dns: 'DNS lookup',
  tcp: 'TCP connect',
  tls: 'TLS handshake (mutual)',
  send: 'Send test event',
  confirm: 'Confirmed close',
};

function print(result: DevoCheckResult): void {
  console.log(`Devo endpoint ${result.endpoint} (${result.tls ? 'mutual TLS' : 'plain TCP'})`);
  for (const step of result.steps) {
    const mark = step.ok ? 'ok  ' : 'FAIL';
    console.log(
      `  [${mark}] ${(STEP_LABEL[step.step] ?? step.step).padEnd(24)} ${String(step.ms).padStart(5)} ms  ${step.detail}`,
    );
  }
  if (result.ok) {
    console.log(
      `\nSuccess: test event delivered to ${result.endpoint} and confirmed; round trip ${result.roundTripMs} ms.`,
    );
    console.log('Find it in Devo with: from my.app.o365devo.check select *');
  } else {
    console.log(`\nFailed at: ${result.failure ?? 'unknown step'}`);
    console.log(result.advice ?? result.problem ?? 'unknown error');
  }
}

let settings: DevoSettings;
try {
  settings = readDevoSettings(process.env);
} catch (err) {
  console.error((err as { message?: string }).message ?? String(err));
  process.exit(2);
}

const result = await checkDevoConnection(settings);
print(result);
process.exitCode = result.ok ? 0 : result.failure === 'settings' ? 2 : 1;
