/**
 * `npm run devo-check`: proves, step by step, that this environment can deliver to Devo.
 * Reads the same DEVO_* settings as the functions and says which credential form, TLS security level and event cap
 * they give; sends one event tagged `my.app.o365devo.check`, then one larger than the cap, cut to it.
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
  oversized: 'Send oversized event',
  confirm: 'Confirmed close',
};

const CREDENTIAL: Record<string, string> = {
  pem: 'PEM certificate and key (DEVO_CERT, DEVO_KEY) with DEVO_CHAIN',
  pkcs12: 'PKCS#12 bundle (DEVO_PFX) with DEVO_CHAIN',
  none: 'none (plain TCP to an in-house relay)',
};

function print(result: DevoCheckResult): void {
  console.log(`Devo endpoint ${result.endpoint} (${result.tls ? 'mutual TLS' : 'plain TCP'})`);
  const profile = result.profile;
  if (profile !== undefined) {
    console.log(`  Client credential:  ${CREDENTIAL[profile.credential] ?? profile.credential}`);
    console.log(`  TLS security level: ${profile.securityLevel.text}`);
    console.log(
      `  Event cap:          ${profile.maxEventBytes} bytes per line (DEVO_MAX_EVENT_BYTES); longer events are cut ` +
        'and end in [o365devo:truncated]',
    );
  }
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
    if (result.oversized !== undefined) {
      console.log(
        `Oversized test event of ${result.oversized.originalBytes} bytes was cut to ${result.oversized.sentBytes} ` +
          `bytes (cap ${result.oversized.maxEventBytes}) and confirmed.`,
      );
    }
    console.log('Find them in Devo with: from my.app.o365devo.check select *');
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
