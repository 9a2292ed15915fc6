import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
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
 * Builds the TLS context for mutual TLS with Devo: the chain replaces the default trust store, TLS 1.2–1.3 only.
 * Peer verification is switched on per connection (`rejectUnauthorized: true`) and cannot be turned off.
 */
export function buildSecureContext(settings: Pick<DevoSettings, 'cert' | 'key' | 'chain'>): SecureContext {
  const missing = (['cert', 'key', 'chain'] as const).filter((name) => !settings[name]?.trim());
  if (missing.length > 0) {
    throw new DevoError(
      'DEVO_TLS_MISSING_CREDENTIALS',
      `Devo mutual TLS needs the client certificate, its private key and the Devo CA chain; missing: ` +
        `${missing.join(', ')}`,
      { step: 'settings' },
    );
  }
  const { cert = '', key = '', chain = '' } = settings;
  parsePemCertificates(cert, 'client certificate (cert)');
  try {
    createPrivateKey(key);
  } catch (err) {
    throw badCredentials(`the Devo client private key (key) cannot be read: ${messageOf(err)}`, err);
  }
  parsePemCertificates(chain, 'CA chain (chain)');
  try {
    return createSecureContext({ cert, key, ca: chain, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
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

/** Validates the credentials (when TLS is on) and prepares the connection target. */
export function buildDevoTarget(settings: DevoSettings): DevoTarget {
  const host = settings.host.trim();
  return {
    host,
    port: settings.port,
    endpoint: `${isIP(host) === 6 ? `[${host}]` : host}:${settings.port}`,
    secureContext: settings.tls ? buildSecureContext(settings) : null,
    servername: settings.tls && isIP(host) === 0 ? host : undefined,
  };
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
