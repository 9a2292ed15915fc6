/** A preset of probabilistic faults that makes a steady share of requests fail in realistic ways. */
import type { FaultSpec, RouteName } from './faults.ts';

export interface ChaosOptions {
  /** Share of matching request attempts that get a fault, within 0..1 (e.g. 0.2). */
  rate: number;
  /**
   * Routes to disturb; default the data routes `list`, `content`, `blob`, `graph`, `rws`. Add `token` to disturb
   * the token endpoint as well.
   */
  routes?: readonly RouteName[];
  /** `Retry-After` of the throttling replies, in seconds (default 1). */
  retryAfterSeconds?: number;
  /** How long a stalled body stays silent before the connection closes, in ms (default 3000). */
  stallMs?: number;
}

export const CHAOS_DEFAULT_ROUTES: readonly RouteName[] = ['list', 'content', 'blob', 'graph', 'rws'];

/** The mix, one entry per failure mode, each getting an equal share of the failures. */
function mix(retryAfterSeconds: number, stallMs: number): FaultSpec[] {
  return [
    { kind: '429', retryAfterSeconds },
    { kind: 'af429-403', retryAfterSeconds },
    { kind: '500' },
    { kind: '503' },
    { kind: 'error', status: 500, code: 'AF50000', message: 'An internal error occurred. Retry the request.' },
    { kind: 'reset' },
    { kind: 'stall-body', delayMs: stallMs },
    { kind: 'truncated-length' },
    { kind: 'truncated-chunked' },
    { kind: 'malformed-json' },
    { kind: 'html-200' },
  ];
}

/**
 * The registry asks its faults in order and stops at the first that fires, so fault i only sees the attempts that
 * faults 0..i-1 let through. For n faults each meant to hit a share q = rate / n of all attempts, fault i must fire
 * with the conditional probability p_i = q / (1 - i·q): it is reached with probability 1 - i·q and then hits
 * q of all attempts. The chance that none fires is Π(1 - p_i) = 1 - n·q = 1 - rate.
 */
export function chaosProbabilities(rate: number, n: number): number[] {
  const q = rate / n;
  return Array.from({ length: n }, (_, i) => Math.min(1, q / (1 - i * q)));
}

/**
 * Fault specs that together disturb about `rate` of the matching request attempts, spread evenly over 429 with
 * `Retry-After`, AF429 inside 403, 500, 503 (HTML), `error` 500 AF50000, a reset mid-body, a stall mid-body,
 * truncated bodies (declared length, chunked, and complete but cut JSON) and an HTML page with status 200.
 * Add them before or instead of other faults: a fault added earlier that fires takes the attempt first.
 * Seeded by the simulator's `faultSeed`.
 */
export function chaosFaults(options: ChaosOptions): FaultSpec[] {
  const { rate } = options;
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`chaos rate must be within 0..1, got ${rate}`);
  const specs = mix(options.retryAfterSeconds ?? 1, options.stallMs ?? 3000);
  const probabilities = chaosProbabilities(rate, specs.length);
  const route = [...(options.routes ?? CHAOS_DEFAULT_ROUTES)];
  return specs.map((spec, i) => ({ ...spec, match: { route }, probability: probabilities[i] ?? 0 }));
}
