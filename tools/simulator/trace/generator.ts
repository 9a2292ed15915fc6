import type { Directory } from '../management/records/index.ts';
import type { Random } from '../random.ts';
import { DAY, HOUR, MINUTE } from '../time.ts';
import type { RowState, TraceMessage, TraceRecipient, TraceStatus } from './model.ts';

/** Late rows: a share of rows shows up `minMs..maxMs` after being received (the service lags up to 24 h). */
export interface LagSpec {
  /** Share of rows that arrive late, 0..1; default 1 when a lag is given. */
  share?: number;
  /** Default 0. */
  minMs?: number;
  /** Default 24 h, and never more. */
  maxMs?: number;
}

/** What the generator needs besides the random source. */
export interface TraceGeneratorSettings {
  maxRecipients: number;
  lag: Required<LagSpec>;
  /** Share of rows first seen `pending` and settled later (rows mutate). */
  pendingShare: number;
}

/** Senders and recipients outside the tenant; some local parts are not ASCII (SMTPUTF8 mail). */
const EXTERNAL = [
  'azure-noreply@microsoft.com',
  'no-reply@sharepointonline.com',
  'billing@fabrikam.com',
  'newsletter@tailspintoys.com',
  'françois.dupont@exemple.fr',
  'zoë.schröder@fabrikam.de',
  'støtte@nordwind.no',
  'sales@adatum.com',
  'postmaster@woodgrovebank.com',
] as const;

const SUBJECTS = [
  'Résumé – 東京',
  'RE: Quarterly report',
  'Präsentation für München',
  'Ofertas – España',
  'Ваш заказ отправлен',
  'Réunion d’équipe 🗓️ jeudi',
  '[EXTERNAL] Invoice 4471',
  'Weekly digest: updates for your team',
  'FW: "Q3" numbers \\ draft',
  'PIM: A privileged directory role was assigned outside of PIM',
  'Undeliverable: Budget 2027',
  '',
] as const;

const MESSAGE_ID_HOSTS = [
  'AM0PR04MB6433.eurprd04.prod.outlook.com',
  'PR0P264MB1739.FRAP264.PROD.OUTLOOK.COM',
  'az.westeurope.production.microsoft.com',
  'mail.fabrikam.com',
  'mx.tailspintoys.com',
] as const;

const GROUP = 'all-staff';

/** A public source address from the documentation ranges. */
function publicIp(random: Random): string {
  return random.chance(0.15)
    ? `2001:db8:${random.hex(4)}::${random.hex(2)}`
    : `${random.pick(['198.51.100', '203.0.113'])}.${random.int(1, 254)}`;
}

/** A trace id shaped like the service's (`cf7a249a-5edd-4350-130a-08da8f69e0f6`). */
export function traceId(random: Random): string {
  return `${random.hex(8)}-${random.hex(4)}-${random.hex(4)}-${random.hex(4)}-08de${random.hex(8)}`;
}

/** Status of a delivered-to row by direction; weights loosely follow a small tenant's day. */
function finalStatus(random: Random, inbound: boolean): TraceStatus {
  const roll = random.next();
  if (inbound) {
    if (roll < 0.08) return 'filteredAsSpam';
    if (roll < 0.12) return 'quarantined';
    if (roll < 0.15) return 'failed';
    if (roll < 0.17) return 'gettingStatus';
    if (roll < 0.18) return 'recalled';
    return 'delivered';
  }
  if (roll < 0.08) return 'failed';
  if (roll < 0.11) return 'pending';
  if (roll < 0.13) return 'gettingStatus';
  if (roll < 0.14) return 'recalled';
  return 'delivered';
}

/** A message size in bytes: mostly small, sometimes with a large attachment. */
function messageSize(random: Random): number {
  return random.chance(0.1) ? random.int(500_000, 12_000_000) : random.int(1_500, 150_000);
}

/** The row's first state and, for a share of rows, a later settled one. */
function rowStates(random: Random, settings: TraceGeneratorSettings, received: number, row: Omit<RowState, 'from'>) {
  const first: RowState = { from: received, ...row };
  const settles = row.status === 'delivered' || row.status === 'failed';
  if (!settles || !random.chance(settings.pendingShare)) return [first];
  const pending: RowState = { ...first, status: random.chance(0.7) ? 'pending' : 'gettingStatus' };
  return [pending, { ...first, from: received + random.int(MINUTE, 2 * HOUR) }];
}

/** When a row becomes visible: at once, or after a seeded lag. */
function visibleAt(random: Random, lag: Required<LagSpec>, received: number): number {
  if (lag.share <= 0 || !random.chance(lag.share)) return received;
  return received + random.int(Math.max(0, lag.minMs), Math.min(DAY, lag.maxMs));
}

/** One realistic message with 1..maxRecipients recipient rows, received at `receivedMs`. */
export function generateMessage(
  random: Random,
  directory: Directory,
  settings: TraceGeneratorSettings,
  receivedMs: number,
): TraceMessage {
  const internal = directory.users.map((u) => u.upn);
  const domain = directory.domain;
  const direction = random.pick(['inbound', 'inbound', 'outbound', 'internal'] as const);
  const sender = direction === 'inbound' ? random.pick(EXTERNAL) : random.pick(internal);
  const count = random.chance(0.5) ? 1 : random.int(Math.min(2, settings.maxRecipients), settings.maxRecipients);
  const pool =
    direction === 'inbound'
      ? [...internal, `${GROUP}@${domain}`]
      : direction === 'outbound'
        ? [...EXTERNAL, ...internal]
        : [...internal, `${GROUP}@${domain}`];
  const addresses: string[] = [];
  while (addresses.length < Math.min(count, pool.length - 1)) {
    const address = random.pick(pool);
    if (address !== sender && !addresses.includes(address)) addresses.push(address);
  }
  const size = messageSize(random);
  const externalMx = publicIp(random);
  const recipients: TraceRecipient[] = addresses.map((address) => {
    const isExternal = !address.endsWith(`@${domain}`);
    const status: TraceStatus = address.startsWith(`${GROUP}@`)
      ? 'expanded'
      : finalStatus(random, direction === 'inbound');
    const row = {
      status,
      // Per-recipient copies differ by a few headers.
      size: size + random.int(0, 400),
      toIP: isExternal && status !== 'failed' ? externalMx : '',
    };
    return {
      address,
      visibleAt: visibleAt(random, settings.lag, receivedMs),
      states: rowStates(random, settings, receivedMs, row),
    };
  });
  return {
    id: traceId(random),
    messageId: `<${random.guid()}@${random.pick(MESSAGE_ID_HOSTS)}>`,
    senderAddress: sender,
    subject: random.pick(SUBJECTS),
    received: { ms: receivedMs, sub: random.int(0, 9999) },
    fromIP:
      direction === 'inbound'
        ? publicIp(random)
        : direction === 'outbound' && random.chance(0.5)
          ? publicIp(random)
          : '',
    recipients,
  };
}

/**
 * `count` messages spread over `spanMs` before `anchor` (oldest first). At least one message has several recipients
 * with different statuses, whatever the dice said, so that tests of per-recipient rows always have one.
 */
export function generateMessages(
  random: Random,
  directory: Directory,
  settings: TraceGeneratorSettings,
  count: number,
  anchor: number,
  spanMs: number,
): TraceMessage[] {
  const messages: TraceMessage[] = [];
  for (let i = 0; i < count; i++) {
    const received = Math.min(anchor - 1000, Math.floor(anchor - spanMs + ((i + random.next()) / count) * spanMs));
    messages.push(generateMessage(random, directory, settings, received));
  }
  const mixed = (m: TraceMessage): boolean => new Set(m.recipients.map((r) => r.states[0]?.status)).size > 1;
  const multi = messages.find((m) => m.recipients.length > 1);
  if (multi !== undefined && !messages.some(mixed)) {
    const [first, second] = multi.recipients;
    const state = second?.states[0];
    if (first !== undefined && second !== undefined && state !== undefined) {
      const status = first.states[0]?.status === 'failed' ? 'delivered' : 'failed';
      second.states = [{ ...state, status, toIP: '' }];
    }
  }
  return messages;
}
