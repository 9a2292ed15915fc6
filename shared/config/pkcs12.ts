import type { X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext } from 'node:tls';

/** Why a PKCS#12 bundle cannot be used: its integrity check failed (the passphrase), or it is not PKCS#12 at all. */
export type Pkcs12Problem = 'passphrase' | 'format';

/** The bundle's bytes from its base64 text (Key Vault's form of a .pfx); line breaks and spaces are ignored. */
export function decodePfx(base64: string): Buffer {
  return Buffer.from(base64.replace(/\s+/g, ''), 'base64');
}

/**
 * Classifies OpenSSL's error for a bundle it could not open. A wrong or missing passphrase fails the bundle's MAC
 * ("mac verify failure"); anything else (DER errors such as "wrong tag" or "not enough data") means the bytes are not
 * a PKCS#12 bundle. The message is OpenSSL's own and holds nothing of the secret.
 */
export function pkcs12Problem(err: unknown): Pkcs12Problem {
  const message = err instanceof Error ? err.message : String(err);
  return /mac verify failure|invalid password/i.test(message) ? 'passphrase' : 'format';
}

/**
 * Opens the bundle the way the sender will (Node's own PKCS#12 reader, never a parser of ours) and returns what is
 * wrong with it, or its client certificate. The certificate is read back through a TLS socket that is never
 * connected, the one way Node gives to see what a secure context holds.
 */
export function openPkcs12(
  pfx: Buffer,
  passphrase: string | undefined,
): { problem: Pkcs12Problem } | { certificate: X509Certificate | undefined } {
  if (pfx.length === 0) return { problem: 'format' };
  try {
    const secureContext = createSecureContext({ pfx, ...(passphrase === undefined ? {} : { passphrase }) });
    const socket = new TLSSocket(new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() }), {
      secureContext,
    });
    const certificate = socket.getX509Certificate();
    socket.destroy();
    return { certificate };
  } catch (err) {
    return { problem: pkcs12Problem(err) };
  }
}
