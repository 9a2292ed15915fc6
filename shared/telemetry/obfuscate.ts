import { createHmac } from 'node:crypto';

/**
 * Replaces the values of chosen fields, at any depth, by a keyed hash: the same value always gives the same
 * pseudonym under one key, so analysts can still correlate events without seeing the value. `null` stays `null`.
 */
export function createObfuscator(fields: readonly string[], key: string): (record: unknown) => unknown {
  const names = new Set(fields);
  const pseudonym = (value: unknown): string =>
    `obf:${createHmac('sha256', key).update(JSON.stringify(value)).digest('hex').slice(0, 32)}`;
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = names.has(k) && v !== null ? pseudonym(v) : walk(v);
    return out;
  };
  return walk;
}
