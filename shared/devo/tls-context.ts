import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import {
  DEFAULT_CIPHERS,
  createSecureContext,
  type DetailedPeerCertificate,
  type SecureContext,
  type SecureContextOptions,
} from 'node:tls';
import { decodePfx, pkcs12Problem } from '../config/pkcs12.ts';
import type { DevoSettings } from '../config/settings-types.ts';
import { DevoError } from './errors.ts';

/** Everything needed to open one connection to a Devo endpoint, built once per sender. */
export interface DevoTarget {
  host: string;
  port: number;
  /** `host:port`, for messages. */
  endpoint: string;
  /** Null for plain TCP (in-house relay). */
  secureContext: SecureContext | null;
  /** SNI name; absent when the host is an IP address (SNI forbids literal addresses). */
  servername: string | undefined;
  /**
   * SHA-256 fingerprints of the DEVO_CHAIN certificates, set with a PKCS#12 bundle: Node also trusts CA certificates
   * carried inside a bundle, so the server's verified chain must be shown to reach one of these (see connect.ts).
   */
  anchors?: ReadonlySet<string>;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function badCredentials(message: string, cause?: unknown): DevoError {
  return new DevoError('DEVO_TLS_BAD_CREDENTIALS', message, { step: 'settings', cause });
}

/** Splits PEM text into its certificates; refuses text holding none or an unparsable one. */
export function parsePemCertificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw badCredentials(`the Devo ${what} holds no PEM certificate`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (err) {
      throw badCredentials(`certificate ${i + 1} of the Devo ${what} cannot be parsed: ${messageOf(err)}`, err);
    }
  });
}

/**
 * The security level Node 22 runs OpenSSL at when none is asked for. OpenSSL 3.2+ defaults to 2, but Node builds it
 * with level 1 (checked by test/devo/tls.test.ts: a 1024-bit RSA certificate loads by default and not at level 2).
 */
export const NODE_DEFAULT_SECURITY_LEVEL = 1;

/**
 * The cipher string for a security level: Node's own cipher list with `@SECLEVEL=N` added, so the setting changes
 * only which keys and signature digests are accepted, not which ciphers are offered. Devo's Python SDK uses
 * `DEFAULT@SECLEVEL=0` for the same purpose (an old domain certificate refused with `CA_MD_TOO_WEAK`).
 */
export function securityLevelCiphers(level: number): string {
  return `${DEFAULT_CIPHERS}:@SECLEVEL=${level}`;
}

/** The one warning to log when the security level is below Node's default, or undefined when it is not. */
export function securityLevelWarning(level: number | undefined): string | undefined {
  if (level === undefined || level >= NODE_DEFAULT_SECURITY_LEVEL) return undefined;
  return (
    `Devo TLS security level lowered to ${level} by DEVO_TLS_SECURITY_LEVEL (default ${NODE_DEFAULT_SECURITY_LEVEL}): ` +
    'certificates with weak signature digests (MD5, SHA-1) and short keys are accepted, which weakens TLS; ' +
    'keep it only until Devo issues a current domain certificate (the server is still verified against DEVO_CHAIN).'
  );
}

type CredentialSettings = Pick<DevoSettings, 'cert' | 'key' | 'chain' | 'pfx' | 'pfxPassphrase' | 'tlsSecurityLevel'>;

/** Which form the client credential takes: the PEM certificate and key, or a PKCS#12 bundle. */
export function credentialForm(settings: Pick<DevoSettings, 'pfx'>): 'pem' | 'pkcs12' {
  return settings.pfx?.trim() ? 'pkcs12' : 'pem';
}

/**
 * Builds the TLS context for mutual TLS with Devo: the chain replaces the default trust store, TLS 1.2–1.3 only.
 * The client credential is the PEM certificate and key or a PKCS#12 bundle (read by Node, never parsed here), and
 * the chain is required with both: CA certificates inside a bundle are no substitute for the trust anchor.
 * Peer verification is switched on per connection (`rejectUnauthorized: true`) and cannot be turned off.
 */
export function buildSecureContext(settings: CredentialSettings): SecureContext {
  const pkcs12 = credentialForm(settings) === 'pkcs12';
  const needed = pkcs12 ? (['pfx', 'chain'] as const) : (['cert', 'key', 'chain'] as const);
  const missing = needed.filter((name) => !settings[name]?.trim());
  if (missing.length > 0) {
    throw new DevoError(
      'DEVO_TLS_MISSING_CREDENTIALS',
      `Devo mutual TLS needs the client certificate and its private key (PEM, or one PKCS#12 bundle) and the Devo ` +
        `CA chain; missing: ${missing.join(', ')}`,
      { step: 'settings' },
    );
  }
  if (pkcs12 && (settings.cert?.trim() || settings.key?.trim())) {
    throw badCredentials('give the Devo client credential either as a PKCS#12 bundle (pfx) or as PEM cert and key');
  }
  const chain = settings.chain ?? '';
  parsePemCertificates(chain, 'CA chain (chain)');
  const options: SecureContextOptions = { ca: chain, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  if (settings.tlsSecurityLevel !== undefined) options.ciphers = securityLevelCiphers(settings.tlsSecurityLevel);
  if (pkcs12) return pkcs12Context(settings, options);
  const { cert = '', key = '' } = settings;
  parsePemCertificates(cert, 'client certificate (cert)');
  try {
    createPrivateKey(key);
  } catch (err) {
    throw badCredentials(`the Devo client private key (key) cannot be read: ${messageOf(err)}`, err);
  }
  try {
    return createSecureContext({ ...options, cert, key });
  } catch (err) {
    const mismatch = (err as { code?: string }).code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH';
    throw badCredentials(
      mismatch
        ? 'the Devo client certificate and private key do not belong together'
        : `the Devo TLS credentials cannot be loaded: ${messageOf(err)}`,
      err,
    );
  }
}

function pkcs12Context(settings: CredentialSettings, options: SecureContextOptions): SecureContext {
  const { pfxPassphrase } = settings;
  try {
    return createSecureContext({
      ...options,
      pfx: decodePfx(settings.pfx ?? ''),
      ...(pfxPassphrase === undefined ? {} : { passphrase: pfxPassphrase }),
    });
  } catch (err) {
    throw badCredentials(
      pkcs12Problem(err) === 'passphrase'
        ? 'the Devo PKCS#12 bundle (pfx) does not open with the passphrase given (its integrity check failed)'
        : `the Devo PKCS#12 bundle (pfx) cannot be read: ${messageOf(err)}`,
      err,
    );
  }
}

/** Validates the credentials (when TLS is on) and prepares the connection target. */
export function buildDevoTarget(settings: DevoSettings): DevoTarget {
  const host = settings.host.trim();
  return {
    host,
    port: settings.port,
    endpoint: `${isIP(host) === 6 ? `[${host}]` : host}:${settings.port}`,
    secureContext: settings.tls ? buildSecureContext(settings) : null,
    servername: settings.tls && isIP(host) === 0 ? host : undefined,
    ...(settings.tls && credentialForm(settings) === 'pkcs12'
      ? { anchors: new Set(parsePemCertificates(settings.chain ?? '', 'CA chain').map((c) => c.fingerprint256)) }
      : {}),
  };
}

/**
 * True when the server's chain as OpenSSL verified it (leaf, then issuers up to the trust anchor) holds a certificate
 * of DEVO_CHAIN. With PEM credentials the chain is the whole trust store and this always holds; with a PKCS#12
 * bundle it refuses a server that only a CA certificate inside the bundle vouches for.
 */
export function reachesAnchor(peer: DetailedPeerCertificate, anchors: ReadonlySet<string>): boolean {
  const seen = new Set<DetailedPeerCertificate>();
  for (let cert: DetailedPeerCertificate | undefined = peer; cert?.fingerprint256 && !seen.has(cert);) {
    if (anchors.has(cert.fingerprint256)) return true;
    seen.add(cert);
    cert = cert.issuerCertificate;
  }
  return false;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
