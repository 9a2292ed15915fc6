/**
 * Devo sender: syslog lines (`<PRI>DATE HOST TAG: MESSAGE\n`) over mutual TLS (or plain TCP to an in-house relay),
 * optionally as raw gzip members, with at-least-once delivery.
 *
 *   const sender = new DevoSender({ ...devoSettings, hostname: 'collector01' });
 *   for (const record of records) {
 *     if (!sender.send('cloud.office365.management.exchange', JSON.stringify(record))) await sender.ready();
 *   }
 *   await sender.flush(); // resolves only once Devo closed its side after ours: everything above is delivered
 *   await sender.close();
 *
 * Failures are `DevoError`s with a `code` (see errors.ts); use `isDevoError(err, code)`.
 */
export { DevoSender } from './sender.ts';
export type { DevoSenderOptions, DevoSenderTuning, ResolvedDevoOptions } from './options.ts';
export { DEVO_DEFAULTS, resolveDevoOptions } from './options.ts';
export type { DevoSenderStats, DevoTagStats } from './stats.ts';
export {
  DevoError,
  isDevoError,
  isDevoCertificateError,
  isDevoTransientError,
  type DevoErrorCode,
  type DevoStep,
} from './errors.ts';
export { DEFAULT_PRIORITY, SYSLOG_DATE, escapeLineBreaks, frameLine, framePrefix, validateDevoTag } from './framing.ts';
export { buildDevoTarget, buildSecureContext, type DevoTarget } from './tls-context.ts';
export { openDevoConnection, type ConnectStepEvent, type OpenOptions } from './connect.ts';
export { TlsResumption } from './tls-resumption.ts';
export { DevoConnection, type ConnectionInfo, type ConnectionTimeouts } from './connection.ts';
export {
  DEVO_CHECK_TAG,
  checkDevoConnection,
  type DevoCheckFailure,
  type DevoCheckResult,
  type DevoCheckStep,
  type DevoCheckStepName,
} from './check.ts';
