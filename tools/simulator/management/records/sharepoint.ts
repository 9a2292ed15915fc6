import type { AuditRecord, RecordContext, User } from './common.ts';
import { baseRecord, clientIp, someUser, TITLES, USER_AGENTS } from './common.ts';

/** Where a file lives: a team site (SharePoint) or someone's OneDrive. */
export interface FileLocation {
  workload: 'SharePoint' | 'OneDrive';
  siteUrl: string;
  relativeUrl: string;
  fileName: string;
  extension: string;
  objectId: string;
}

/** A file in a team site or in the user's OneDrive; names carry non-ASCII text. */
export function fileLocation(ctx: RecordContext, owner: User): FileLocation {
  const { random } = ctx;
  const extension = random.pick(['docx', 'xlsx', 'pptx', 'pdf']);
  const fileName = `${random.pick(TITLES)}.${extension}`;
  if (random.chance(0.4)) {
    const personal = owner.upn.replace(/[@.]/g, '_');
    const siteUrl = `https://contoso-my.sharepoint.com/personal/${personal}/`;
    return {
      workload: 'OneDrive',
      siteUrl,
      relativeUrl: 'Documents',
      fileName,
      extension,
      objectId: `${siteUrl}Documents/${fileName}`,
    };
  }
  const site = random.pick(['Finance', 'Marketing', 'Tokyo-東京', 'Recursos-Humanos']);
  const siteUrl = `https://${ctx.directory.sharePointHost}/sites/${site}/`;
  return {
    workload: 'SharePoint',
    siteUrl,
    relativeUrl: 'Shared Documents',
    fileName,
    extension,
    objectId: `${siteUrl}Shared Documents/${fileName}`,
  };
}

/** Audit.SharePoint: file operations (6), sharing (14) and page views (4), on SharePoint and OneDrive. */
export function sharePointRecord(ctx: RecordContext): AuditRecord {
  const roll = ctx.random.next();
  if (roll < 0.65) return fileOperation(ctx);
  if (roll < 0.85) return sharing(ctx);
  return pageView(ctx);
}

function siteFields(ctx: RecordContext, location: FileLocation): AuditRecord {
  const { random } = ctx;
  return {
    CorrelationId: random.guid(),
    EventSource: 'SharePoint',
    ItemType: 'File',
    ListId: random.guid(),
    ListItemUniqueId: random.guid(),
    Site: random.guid(),
    UserAgent: random.pick(USER_AGENTS),
    WebId: random.guid(),
    HighPriorityMediaProcessing: false,
    SourceFileExtension: location.extension,
    SiteUrl: location.siteUrl,
    SourceFileName: location.fileName,
    SourceRelativeUrl: location.relativeUrl,
    GeoLocation: 'EUR',
    IsManagedDevice: random.chance(0.5),
    AuthenticationType: random.pick(['OAuth', 'FormsCookieAuth']),
  };
}

function userKey(user: User): string {
  return `i:0h.f|membership|${user.puid.toLowerCase()}@live.com`;
}

function fileOperation(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const user = someUser(ctx);
  const location = fileLocation(ctx, user);
  return {
    ...baseRecord(ctx, {
      recordType: 6,
      operation: random.pick(['FileAccessed', 'FileModified', 'FileUploaded', 'FileDownloaded', 'FileRecycled']),
      workload: location.workload,
      userId: user.upn,
      userKey: userKey(user),
      userType: 0,
      clientIp: clientIp(random),
      objectId: location.objectId,
    }),
    ...siteFields(ctx, location),
    ApplicationDisplayName: random.pick([
      'Microsoft Office',
      'OneDrive SyncEngine',
      'SharePoint Online Web Client Extensibility',
    ]),
    BrowserName: random.pick(['Edge', 'Chrome', 'Safari']),
    Platform: random.pick(['WinDesktop', 'MacDesktop', 'iOS']),
  };
}

function sharing(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const user = someUser(ctx);
  const location = fileLocation(ctx, user);
  const guest = random.chance(0.5);
  const operation = guest ? 'SharingInvitationCreated' : random.pick(['SharingSet', 'AnonymousLinkCreated']);
  return {
    ...baseRecord(ctx, {
      recordType: 14,
      operation,
      workload: location.workload,
      userId: user.upn,
      userKey: userKey(user),
      userType: 0,
      clientIp: clientIp(random),
      objectId: location.objectId,
    }),
    ...siteFields(ctx, location),
    TargetUserOrGroupName: guest ? 'partner@fabrikam.example' : 'Anyone with the link',
    TargetUserOrGroupType: guest ? 'Guest' : 'SharingLink',
    EventData: `<Type>${random.pick(['View', 'Edit'])}</Type><MembersCanShare>Enabled</MembersCanShare>`,
  };
}

function pageView(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const user = someUser(ctx);
  const siteUrl = `https://${ctx.directory.sharePointHost}/sites/${random.pick(['Intranet', 'Tokyo-東京'])}/`;
  return {
    ...baseRecord(ctx, {
      recordType: 4,
      operation: 'PageViewed',
      workload: 'SharePoint',
      userId: user.upn,
      userKey: userKey(user),
      userType: 0,
      clientIp: clientIp(random),
      objectId: `${siteUrl}SitePages/Accueil – Bienvenue.aspx`,
    }),
    CorrelationId: random.guid(),
    EventSource: 'SharePoint',
    ItemType: 'Page',
    Site: random.guid(),
    UserAgent: random.pick(USER_AGENTS),
    WebId: random.guid(),
    SiteUrl: siteUrl,
  };
}
