import type { DevoSettings } from '../config/settings-types.ts';
import {
  describeCredentials,
  describeProfile,
  oversizedTestLine,
  type DevoCheckProfile,
  type OversizedEventReport,
} from './check-report.ts';
import { openDevoConnection } from './connect.ts';
import type { DevoConnection } from './connection.ts';
import { isDevoError, type DevoError, type DevoErrorCode } from './errors.ts';
import { frameLine } from './framing.ts';
import { resolveDevoOptions, type DevoSenderTuning, type ResolvedDevoOptions } from './options.ts';
import { classifySocketError } from './socket-errors.ts';
import { buildDevoTarget, type DevoTarget } from './tls-context.ts';

/** Tag of the connectivity test event; `my.app` is the prefix Devo reserves for own sources. */
export const DEVO_CHECK_TAG = 'my.app.o365devo.check';

export type DevoCheckStepName = 'settings' | 'dns' | 'tcp' | 'tls' | 'send' | 'oversized' | 'confirm';

/** What went wrong, in the terms an operator acts on. */
export type DevoCheckFailure =
  | 'settings'
  | 'dns'
  | 'tcp'
  | 'tls-handshake'
  | 'client-certificate'
  | 'server-certificate'
  | 'timeout'
  | 'send'
  | 'confirm';

export interface DevoCheckStep {
  step: DevoCheckStepName;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface DevoCheckResult {
  ok: boolean;
  endpoint: string;
  tls: boolean;
  steps: DevoCheckStep[];
  /** Credential form, TLS security level and event cap, once the settings were read. */
  profile?: DevoCheckProfile;
  /** The test event larger than the cap, once it was written (confirmed when `ok`). */
  oversized?: OversizedEventReport;
  /** From writing the test event to the server's confirming close. */
  roundTripMs?: number;
  totalMs: number;
  failure?: DevoCheckFailure;
  /** What to check, in plain language, for the failed step. */
  advice?: string;
  /** `advice` followed by the technical reason. */
  problem?: string;
  error?: { code: string; message: string };
}

const FAILURE_BY_CODE: Partial<Record<DevoErrorCode, DevoCheckFailure>> = {
  DEVO_OPTIONS_INVALID: 'settings',
  DEVO_TLS_MISSING_CREDENTIALS: 'settings',
  DEVO_TLS_BAD_CREDENTIALS: 'settings',
  DEVO_DNS_FAILED: 'dns',
  DEVO_CONNECT_FAILED: 'tcp',
  DEVO_CONNECT_TIMEOUT: 'timeout',
  DEVO_WRITE_TIMEOUT: 'timeout',
  DEVO_CONFIRM_TIMEOUT: 'timeout',
  DEVO_TLS_HANDSHAKE_FAILED: 'tls-handshake',
  DEVO_TLS_CLIENT_REJECTED: 'client-certificate',
  DEVO_TLS_SERVER_UNTRUSTED: 'server-certificate',
  DEVO_CONNECTION_LOST: 'send',
  DEVO_FLUSH_FAILED: 'confirm',
};

const ADVICE: Record<DevoCheckFailure, string> = {
  settings: 'The Devo settings are incomplete or invalid.',
  dns: 'DNS: the Devo host name could not be resolved. Check the host setting and the DNS of this network.',
  tcp: 'TCP: no connection to the Devo endpoint. Check host, port, firewalls / network security groups and outbound access.',
  'tls-handshake': 'TLS handshake failed.',
  'client-certificate':
    'Certificate rejected by the server: Devo refused our client certificate. Use the domain certificate and key ' +
    'downloaded from Devo (Administration → Credentials → X.509) and check they have not expired.',
  'server-certificate':
    'Our side could not verify the server certificate (certificate verification failed). The chain setting must be ' +
    "the CA chain file from Devo's credentials page for this region.",
  timeout: 'Timeout: the endpoint did not answer in time.',
  send: 'The connection was lost while sending the test event.',
  confirm: 'The connection failed before the server confirmed the test event.',
};

/**
 * Checks connectivity to Devo step by step — settings, DNS, TCP, TLS (mutual), one test event, one test event larger
 * than the cap (cut to it), confirmed close — and reports which step failed in plain language, with the credential
 * form, the TLS security level and the event cap in use. Makes a single attempt; never throws.
 */
export async function checkDevoConnection(
  settings: DevoSettings,
  tuning: DevoSenderTuning = {},
): Promise<DevoCheckResult> {
  const started = performance.now();
  const steps: DevoCheckStep[] = [];
  const endpoint = `${settings.host}:${settings.port}`;
  const result = (extra: Partial<DevoCheckResult>): DevoCheckResult => ({
    ok: false,
    endpoint,
    tls: settings.tls,
    steps,
    totalMs: Math.round(performance.now() - started),
    ...(profile === undefined ? {} : { profile }),
    ...extra,
  });
  const failed = (err: unknown, step: DevoCheckStepName, stepStart: number): DevoCheckResult => {
    const e = classifySocketError(err, step === 'send' || step === 'oversized' ? 'write' : step, endpoint);
    const where: DevoCheckStepName = e.step === undefined || e.step === 'write' ? step : e.step;
    steps.push({ step: where, ok: false, ms: Math.round(performance.now() - stepStart), detail: e.message });
    const failure = FAILURE_BY_CODE[e.code] ?? (step === 'settings' ? 'settings' : 'send');
    return result({
      failure,
      advice: ADVICE[failure],
      problem: describe(e),
      error: { code: e.code, message: e.message },
    });
  };

  let target: DevoTarget;
  let options: ResolvedDevoOptions;
  let profile: DevoCheckProfile | undefined;
  const settingsStart = performance.now();
  try {
    options = resolveDevoOptions({ ...settings, ...tuning });
    target = buildDevoTarget(options);
    profile = describeProfile(options);
    steps.push({
      step: 'settings',
      ok: true,
      ms: Math.round(performance.now() - settingsStart),
      detail: describeCredentials(settings),
    });
  } catch (err) {
    return failed(err, 'settings', settingsStart);
  }

  let stepStart = performance.now();
  let conn: DevoConnection;
  try {
    conn = await openDevoConnection(target, options, {
      onStep: (event) => {
        steps.push({ step: event.step, ok: true, ms: Math.round(event.ms), detail: event.detail });
        stepStart = performance.now();
      },
    });
  } catch (err) {
    return failed(
      err,
      isDevoError(err) && err.step !== undefined && err.step !== 'write' ? err.step : 'tcp',
      stepStart,
    );
  }

  /** Writes one line as a step of its own; the failure result when the write failed. */
  const writeStep = async (
    step: 'send' | 'oversized',
    line: Buffer,
    detail: string,
  ): Promise<DevoCheckResult | undefined> => {
    const started = performance.now();
    try {
      const pending = conn.write(line);
      if (pending) await pending;
      steps.push({ step, ok: true, ms: Math.round(performance.now() - started), detail });
      return undefined;
    } catch (err) {
      conn.destroy();
      return failed(err, step, started);
    }
  };
  const sendStart = performance.now();
  const line = frameLine(
    options.priority,
    options.hostname,
    DEVO_CHECK_TAG,
    JSON.stringify({ check: 'o365-devo connectivity', at: new Date().toISOString(), host: options.hostname }),
  );
  const sendFailed = await writeStep('send', line, `${line.length} bytes, tag ${DEVO_CHECK_TAG}`);
  if (sendFailed !== undefined) return sendFailed;
  const { line: big, report: oversized } = oversizedTestLine(options, DEVO_CHECK_TAG);
  const oversizedFailed = await writeStep(
    'oversized',
    big,
    `${oversized.originalBytes} bytes cut to ${oversized.sentBytes} (cap ${oversized.maxEventBytes}), ` +
      'ends in [o365devo:truncated]',
  );
  if (oversizedFailed !== undefined) return oversizedFailed;
  const confirmStart = performance.now();
  try {
    await conn.confirm();
  } catch (err) {
    return failed(err, 'confirm', confirmStart);
  }
  const now = performance.now();
  steps.push({
    step: 'confirm',
    ok: true,
    ms: Math.round(now - confirmStart),
    detail: 'server closed its side after ours: delivery of both test events confirmed',
  });
  return result({ ok: true, endpoint: target.endpoint, oversized, roundTripMs: Math.round(now - sendStart) });
}

function describe(e: DevoError): string {
  const failure = FAILURE_BY_CODE[e.code];
  return failure ? `${ADVICE[failure]} ${e.message}` : e.message;
}
