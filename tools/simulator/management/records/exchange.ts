import { formatCreationTime } from '../../time.ts';
import type { AuditRecord, RecordContext, User } from './common.ts';
import { adminUser, baseRecord, clientIp, someUser, TITLES } from './common.ts';

/** Audit.Exchange: mailbox item actions (2), mail access (50) and admin cmdlets (1). */
export function exchangeRecord(ctx: RecordContext): AuditRecord {
  const roll = ctx.random.next();
  if (roll < 0.55) return mailboxItem(ctx);
  if (roll < 0.8) return mailAccess(ctx);
  return adminCmdlet(ctx);
}

/** Exchange writes the server name followed by a CR LF into `OriginatingServer`, and collectors must keep it. */
function originatingServer(ctx: RecordContext): string {
  return `AM${ctx.random.int(0, 9)}PR0${ctx.random.int(1, 9)}MB${ctx.random.int(1000, 9999)} (15.20.${ctx.random.int(7000, 8999)}.0${ctx.random.int(10, 99)})\r\n`;
}

function messageId(ctx: RecordContext): string {
  return `<${ctx.random.hex(8).toUpperCase()}${ctx.random.int(100, 999)}@AM0PR01MB${ctx.random.int(1000, 9999)}.eurprd01.prod.exchangelabs.com>`;
}

function mailboxFields(ctx: RecordContext, owner: User): AuditRecord {
  return {
    AppId: '00000002-0000-0ff1-ce00-000000000000',
    ClientAppId: '',
    ClientIPAddress: clientIp(ctx.random),
    ClientInfoString: 'Client=OWA;Action=ViaProxy',
    ExternalAccess: false,
    InternalLogonType: 0,
    LogonType: 0,
    LogonUserSid: owner.sid,
    MailboxGuid: ctx.random.guid(),
    MailboxOwnerSid: owner.sid,
    MailboxOwnerUPN: owner.upn,
    OrganizationName: ctx.directory.domain,
    OriginatingServer: originatingServer(ctx),
  };
}

function mailboxItem(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const owner = someUser(ctx);
  const operation = random.pick(['Send', 'SoftDelete', 'MoveToDeletedItems', 'Update', 'Create']);
  const subject = random.pick(TITLES);
  const item = {
    Id: `LgAAAAB${random.hex(40)}`,
    Attachments: random.chance(0.4) ? `${subject}.docx (${random.int(10_000, 900_000)}b)` : undefined,
    InternetMessageId: messageId(ctx),
    IsRecord: false,
    ParentFolder: { Id: `LgAAAAB${random.hex(24)}`, Path: operation === 'Send' ? '\\Sent Items' : '\\Inbox' },
    SizeInBytes: random.int(2_000, 2_000_000),
    Subject: subject,
  };
  return {
    ...baseRecord(ctx, {
      recordType: 2,
      operation,
      workload: 'Exchange',
      userId: owner.upn,
      userKey: owner.puid,
      userType: 0,
      clientIp: clientIp(random),
      resultStatus: 'Succeeded',
    }),
    ...mailboxFields(ctx, owner),
    ...(operation === 'Send' || operation === 'Create'
      ? { Item: item }
      : { AffectedItems: [item], CrossMailboxOperation: false }),
  };
}

function mailAccess(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const owner = someUser(ctx);
  const items = Array.from({ length: random.int(1, 4) }, () => ({
    InternetMessageId: messageId(ctx),
    SizeInBytes: random.int(4_000, 400_000),
  }));
  return {
    ...baseRecord(ctx, {
      recordType: 50,
      operation: 'MailItemsAccessed',
      workload: 'Exchange',
      userId: owner.upn,
      userKey: owner.puid,
      userType: 0,
      clientIp: clientIp(random),
      resultStatus: 'Succeeded',
    }),
    ...mailboxFields(ctx, owner),
    Folders: [{ FolderItems: items, Id: `LgAAAAB${random.hex(24)}`, Path: '\\Inbox' }],
    OperationCount: items.length,
    OperationProperties: [
      { Name: 'MailAccessType', Value: random.pick(['Bind', 'Sync']) },
      { Name: 'IsThrottled', Value: 'False' },
    ],
    SessionId: random.guid(),
  };
}

function adminCmdlet(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const admin = adminUser(ctx);
  const target = someUser(ctx);
  const cmdlet = random.pick([
    'Set-MailboxAutoReplyConfiguration',
    'New-InboxRule',
    'Add-MailboxPermission',
    'Set-Mailbox',
  ]);
  const parameters: Array<{ Name: string; Value: string }> = [{ Name: 'Identity', Value: target.upn }];
  if (cmdlet === 'Set-MailboxAutoReplyConfiguration') {
    parameters.push(
      { Name: 'AutoReplyState', Value: 'Scheduled' },
      { Name: 'EndTime', Value: formatCreationTime(ctx.creationTime + 7 * 86_400_000) },
      { Name: 'InternalMessage', Value: `Out of office – ${target.displayName}\nBack on Monday` },
    );
  } else if (cmdlet === 'New-InboxRule') {
    parameters.push({ Name: 'Name', Value: 'Résumé – 東京 → Archive' }, { Name: 'MoveToFolder', Value: 'Archive' });
  } else if (cmdlet === 'Add-MailboxPermission') {
    parameters.push({ Name: 'User', Value: admin.upn }, { Name: 'AccessRights', Value: 'FullAccess' });
  } else {
    parameters.push({ Name: 'LitigationHoldEnabled', Value: 'True' });
  }
  return {
    ...baseRecord(ctx, {
      recordType: 1,
      operation: cmdlet,
      workload: 'Exchange',
      userId: admin.upn,
      userKey: admin.puid,
      userType: 2,
      clientIp: random.chance(0.5) ? `${clientIp(random)}` : '',
      resultStatus: 'True',
      objectId: `EURPR01A001.prod.outlook.com/Microsoft Exchange Hosted Organizations/${ctx.directory.domain}/${target.displayName}`,
    }),
    AppId: '',
    ClientAppId: '',
    ExternalAccess: false,
    OrganizationName: ctx.directory.domain,
    OriginatingServer: originatingServer(ctx),
    Parameters: parameters,
    SessionId: random.guid(),
  };
}
