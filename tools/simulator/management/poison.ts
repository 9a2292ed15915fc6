/** Broken blob descriptors for the `poison-descriptor` fault. */
import type { PoisonVariant } from '../faults.ts';
import type { Reply, RequestContext } from '../http.ts';
import { formatContentTime } from '../time.ts';

/**
 * A content id in the service's shape that the store never hands out (the store's serials start low), so the
 * descriptor passes a shape check but names no blob: fetching its `contentUri` answers 404 `AF20050`.
 */
function poisonContentId(seq: number): string {
  const serial = '9'.repeat(12);
  return `${serial}$${serial}$poison$${seq.toString(16).padStart(32, '0')}$00`;
}

/** A descriptor with one defect, built next to the page's own (same content type, a plausible creation time). */
export function poisonDescriptor(
  variant: PoisonVariant,
  req: RequestContext,
  seq: number,
  lifetimeMs: number,
  foreignOrigin: string,
  lastCreated: string | undefined,
): Record<string, string> {
  const contentId = poisonContentId(seq);
  const path = req.url.pathname.replace(/subscriptions\/content\/?$/i, `audit/${contentId}`);
  const created = lastCreated ?? formatContentTime(req.now);
  const descriptor: Record<string, string> = {
    contentType: req.query.get('contentType') ?? '',
    contentId,
    contentUri: new URL(path, variant === 'foreign-contentUri' ? foreignOrigin : req.url.origin).href,
    contentCreated: created,
    contentExpiration: formatContentTime(Date.parse(created) + lifetimeMs),
  };
  if (variant === 'missing-contentId') delete descriptor.contentId;
  if (variant === 'missing-contentUri') delete descriptor.contentUri;
  if (variant === 'missing-contentCreated') delete descriptor.contentCreated;
  return descriptor;
}

/**
 * Appends a broken descriptor to a successful listing page. Returns the new reply and the descriptor, or undefined
 * when the reply is not a listing page (an error, or another route).
 */
export function poisonListing(
  reply: Reply,
  make: (lastCreated: string | undefined) => Record<string, string>,
): { reply: Reply; descriptor: Record<string, string> } | undefined {
  if (reply.status !== 200 || typeof reply.body !== 'string') return undefined;
  const items = JSON.parse(reply.body) as unknown;
  if (!Array.isArray(items)) return undefined;
  const last = items.at(-1) as { contentCreated?: unknown } | undefined;
  const descriptor = make(typeof last?.contentCreated === 'string' ? last.contentCreated : undefined);
  return { reply: { ...reply, body: JSON.stringify([...items, descriptor]) }, descriptor };
}
