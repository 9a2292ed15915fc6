import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * App settings are single-line in many tools, so PEM text often arrives with literal `\n` sequences or with its line
 * breaks replaced by spaces. Rebuild every block in canonical form (64-character base64 lines) so Node's TLS stack
 * can read it. Text without PEM blocks is returned unchanged for the caller to reject.
 */
export function normalizePem(text: string): string {
  const unescaped = text.replace(/\\r\\n|\\n/g, '\n');
  const blocks = [...unescaped.matchAll(BLOCK)].map(([, label, body]) => {
    const base64 = (body ?? '').replace(/\s+/g, '');
    const lines = base64.match(/.{1,64}/g) ?? [];
    return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n');
  });
  return blocks.length === 0 ? text : blocks.join('\n') + '\n';
}

/** The PEM blocks whose label matches, in order. */
export function pemBlocks(text: string, label: RegExp): string[] {
  return [...text.matchAll(BLOCK)].filter(([, l]) => label.test(l ?? '')).map(([block]) => block);
}

/** Parses every certificate in the text; throws Node's own error for a damaged block. */
export function parseCertificates(text: string): X509Certificate[] {
  return pemBlocks(text, /^CERTIFICATE$/).map((block) => new X509Certificate(block));
}

export function parsePrivateKey(text: string): KeyObject {
  return createPrivateKey({ key: text, format: 'pem' });
}
