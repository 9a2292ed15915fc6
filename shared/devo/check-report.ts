import { decodePfx, openPkcs12 } from '../config/pkcs12.ts';
import type { DevoSettings } from '../config/settings-types.ts';
import { TRUNCATION_MARKER, capEvent, messageBudget } from './event-cap.ts';
import { framePrefix, frameLine } from './framing.ts';
import type { ResolvedDevoOptions } from './options.ts';
import { NODE_DEFAULT_SECURITY_LEVEL, credentialForm, messageOf, parsePemCertificates } from './tls-context.ts';

/** How the check connects, in the terms of the settings, for the operator to confirm before anything is sent. */
export interface DevoCheckProfile {
  /** `pem`: DEVO_CERT and DEVO_KEY; `pkcs12`: DEVO_PFX; `none`: plain TCP to a relay. */
  credential: 'pem' | 'pkcs12' | 'none';
  securityLevel: { level: number; lowered: boolean; text: string };
  maxEventBytes: number;
}

/** What became of the oversized test event: its size as built, as sent, and whether it ends in the marker. */
export interface OversizedEventReport {
  originalBytes: number;
  sentBytes: number;
  maxEventBytes: number;
  truncated: boolean;
}

export function describeProfile(options: ResolvedDevoOptions): DevoCheckProfile {
  const level = options.tlsSecurityLevel ?? NODE_DEFAULT_SECURITY_LEVEL;
  const lowered = options.tls && level < NODE_DEFAULT_SECURITY_LEVEL;
  const text = !options.tls
    ? 'not used (plain TCP)'
    : options.tlsSecurityLevel === undefined
      ? `default (OpenSSL level ${NODE_DEFAULT_SECURITY_LEVEL})`
      : lowered
        ? `lowered to ${level} by DEVO_TLS_SECURITY_LEVEL (default ${NODE_DEFAULT_SECURITY_LEVEL}): WARNING, weak ` +
          'signature digests and short keys are accepted, which weakens TLS; the server is still verified'
        : `${level} (DEVO_TLS_SECURITY_LEVEL; default ${NODE_DEFAULT_SECURITY_LEVEL})`;
  return {
    credential: !options.tls ? 'none' : credentialForm(options) === 'pkcs12' ? 'pkcs12' : 'pem',
    securityLevel: { level, lowered, text },
    maxEventBytes: options.maxEventBytes,
  };
}

/**
 * Names the client credential and the chain (never the key or the passphrase), with the client certificate's subject
 * and expiry, so an expired certificate is obvious.
 */
export function describeCredentials(settings: DevoSettings): string {
  if (!settings.tls) return 'plain TCP (no TLS): in-house relay mode';
  try {
    const chain = parsePemCertificates(settings.chain ?? '', 'CA chain');
    const pkcs12 = credentialForm(settings) === 'pkcs12';
    const opened = pkcs12 ? openPkcs12(decodePfx(settings.pfx ?? ''), settings.pfxPassphrase) : undefined;
    const client =
      opened === undefined
        ? parsePemCertificates(settings.cert ?? '', 'client certificate')[0]
        : 'certificate' in opened
          ? opened.certificate
          : undefined;
    const subject = client?.subject.replace(/\n/g, ', ') ?? '?';
    const form = pkcs12
      ? `PKCS#12 bundle (DEVO_PFX, ${settings.pfxPassphrase === undefined ? 'no passphrase' : 'with its passphrase'})`
      : 'PEM certificate and key (DEVO_CERT, DEVO_KEY)';
    return `${form}: "${subject}" valid until ${client?.validTo ?? '?'}; chain of ${chain.length} certificate(s)`;
  } catch (err) {
    return messageOf(err);
  }
}

/**
 * A test event larger than the cap, cut the way the sender cuts every event (the same `capEvent`), so the check
 * shows the cap at work end to end: Devo must accept the cut line and confirm it.
 */
export function oversizedTestLine(
  options: ResolvedDevoOptions,
  tag: string,
): { line: Buffer; report: OversizedEventReport } {
  const prefixBytes = Buffer.byteLength(framePrefix(options.priority, options.hostname, tag));
  const head = `{"check":"o365-devo oversized event","at":"${new Date().toISOString()}","pad":"`;
  const message = `${head}${'x'.repeat(options.maxEventBytes + 1_024)}"}`;
  const capped = capEvent(message, messageBudget(prefixBytes, options.maxEventBytes));
  const line = frameLine(options.priority, options.hostname, tag, capped);
  return {
    line,
    report: {
      originalBytes: prefixBytes + Buffer.byteLength(message) + 1,
      sentBytes: line.length,
      maxEventBytes: options.maxEventBytes,
      truncated: capped.endsWith(TRUNCATION_MARKER),
    },
  };
}
