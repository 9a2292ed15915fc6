import { createSecureContext } from 'node:tls';

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
 * wrong with it, or undefined when it is usable.
 */
export function checkPkcs12(pfx: Buffer, passphrase: string | undefined): Pkcs12Problem | undefined {
  if (pfx.length === 0) return 'format';
  try {
    createSecureContext({ pfx, ...(passphrase === undefined ? {} : { passphrase }) });
    return undefined;
  } catch (err) {
    return pkcs12Problem(err);
  }
}
