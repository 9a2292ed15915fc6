/**
 * What must never appear in a log line: the tenant and client IDs, the client secret, certificate and key material,
 * tokens, and any record's user addresses or message subjects. `findLeaks` says which line holds which.
 */
export interface Sensitive {
  /** Exact values, by what they are (a tenant ID, a secret, a subject). */
  values: ReadonlyMap<string, string>;
}

/** Shapes that are sensitive whatever their value. */
const SHAPES: ReadonlyArray<[string, RegExp]> = [
  ['PEM material', /-----BEGIN [A-Z ]+-----/],
  ['a JWT-shaped token', /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
  ['a bearer token', /\bBearer\s+[A-Za-z0-9._~+/-]{8,}/],
  ['an e-mail address', /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/],
];

export function findLeaks(lines: readonly string[], sensitive: Sensitive): string[] {
  const found: string[] = [];
  for (const line of lines) {
    for (const [what, shape] of SHAPES) if (shape.test(line)) found.push(`${what}: ${line.slice(0, 300)}`);
    for (const [value, what] of sensitive.values) {
      if (value.length >= 6 && line.includes(value)) found.push(`${what}: ${line.slice(0, 300)}`);
    }
  }
  return found;
}

/** A few lines of a PEM body: enough to recognise the material without holding all of it. */
export function pemFingerprints(pem: string): string[] {
  return pem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 40 && !l.startsWith('-----'))
    .slice(0, 3)
    .map((l) => l.slice(0, 40));
}
