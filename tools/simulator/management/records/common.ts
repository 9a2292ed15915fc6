import type { Random } from '../../random.ts';
import { formatCreationTime } from '../../time.ts';

/** A tenant user; some names carry non-ASCII text so the pipeline is tested with it. */
export interface User {
  displayName: string;
  upn: string;
  objectId: string;
  /** Passport-style unique id, as Exchange and SharePoint write `UserKey`. */
  puid: string;
  sid: string;
  admin: boolean;
}

/** The tenant's fixed cast, generated once per seed. */
export interface Directory {
  domain: string;
  sharePointHost: string;
  users: User[];
  /** Application (client) ids of a few first-party and line-of-business apps. */
  apps: Array<{ id: string; name: string }>;
}

/** What every record builder gets. */
export interface RecordContext {
  random: Random;
  tenantId: string;
  directory: Directory;
  /** Event time (epoch ms) of the record being built. */
  creationTime: number;
}

export type AuditRecord = Record<string, unknown>;

const PEOPLE: ReadonlyArray<[string, string, boolean]> = [
  ['Adele Vance', 'adele.vance', false],
  ['Zoë Müller', 'zoe.mueller', false],
  ['José Álvarez', 'jose.alvarez', false],
  ['田中 太郎', 'taro.tanaka', false],
  ['Łukasz Wójcik', 'lukasz.wojcik', false],
  ['Megan Bowen', 'megan.bowen', false],
  ['Søren Kierkegård', 'soren.kierkegard', false],
  ['Global Admin', 'admin', true],
];

/** Builds the tenant directory from a seeded source. */
export function createDirectory(random: Random): Directory {
  const domain = 'contoso.onmicrosoft.com';
  const sidBase = `S-1-5-21-${random.int(1e9, 4e9)}-${random.int(1e9, 4e9)}-${random.int(1e9, 4e9)}`;
  return {
    domain,
    sharePointHost: 'contoso.sharepoint.com',
    users: PEOPLE.map(([displayName, alias, admin], i) => ({
      displayName,
      upn: `${alias}@${domain}`,
      objectId: random.guid(),
      puid: `10032001${random.hex(8).toUpperCase()}`,
      sid: `${sidBase}-${1100 + i}`,
      admin,
    })),
    apps: [
      { id: '00000002-0000-0ff1-ce00-000000000000', name: 'Office 365 Exchange Online' },
      { id: '00000003-0000-0ff1-ce00-000000000000', name: 'Office 365 SharePoint Online' },
      { id: '1fec8e78-bce4-4aaf-ab1b-5451cc387264', name: 'Microsoft Teams' },
      { id: random.guid(), name: 'Contoso Expense Reports' },
    ],
  };
}

/** A client address from the documentation ranges (IPv4 and IPv6). */
export function clientIp(random: Random): string {
  return random.chance(0.2)
    ? `2001:db8:${random.hex(4)}::${random.hex(2)}`
    : `${random.pick(['192.0.2', '198.51.100', '203.0.113'])}.${random.int(1, 254)}`;
}

export const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17726; Pro)',
  'OneDriveMpc-Transform_Thumbnail/1.0',
] as const;

/** Non-ASCII subjects and file stems, including the `Résumé – 東京` the brief for these tests asks for. */
export const TITLES = [
  'Résumé – 東京',
  'Quarterly report',
  'Präsentation für München',
  'Ofertas – España',
  'Budget 2027',
] as const;

/** Fields every audit record starts with, in the service's order. */
export function baseRecord(
  ctx: RecordContext,
  fields: {
    recordType: number;
    operation: string;
    workload: string;
    userId: string;
    userKey: string;
    userType: number;
    clientIp: string | null;
    resultStatus?: string;
    objectId?: string;
  },
): AuditRecord {
  const record: AuditRecord = {
    CreationTime: formatCreationTime(ctx.creationTime),
    Id: ctx.random.guid(),
    Operation: fields.operation,
    OrganizationId: ctx.tenantId,
    RecordType: fields.recordType,
  };
  if (fields.resultStatus !== undefined) record.ResultStatus = fields.resultStatus;
  record.UserKey = fields.userKey;
  record.UserType = fields.userType;
  record.Version = 1;
  record.Workload = fields.workload;
  record.ClientIP = fields.clientIp;
  if (fields.objectId !== undefined) record.ObjectId = fields.objectId;
  record.UserId = fields.userId;
  return record;
}

/** A regular (non-admin) user. */
export function someUser(ctx: RecordContext): User {
  return ctx.random.pick(ctx.directory.users.filter((u) => !u.admin));
}

/** The tenant admin. */
export function adminUser(ctx: RecordContext): User {
  return ctx.directory.users.find((u) => u.admin) ?? someUser(ctx);
}
