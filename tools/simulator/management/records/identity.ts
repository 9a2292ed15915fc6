import type { AuditRecord, RecordContext } from './common.ts';
import { adminUser, baseRecord, clientIp, someUser, USER_AGENTS } from './common.ts';

/** Audit.AzureActiveDirectory: sign-ins (RecordType 15) and directory changes (RecordType 8). */
export function identityRecord(ctx: RecordContext): AuditRecord {
  return ctx.random.chance(0.6) ? signIn(ctx) : directoryChange(ctx);
}

function signIn(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const user = someUser(ctx);
  const failed = random.chance(0.25);
  const app = random.pick(ctx.directory.apps);
  const ip = clientIp(random);
  return {
    ...baseRecord(ctx, {
      recordType: 15,
      operation: failed ? 'UserLoginFailed' : 'UserLoggedIn',
      workload: 'AzureActiveDirectory',
      userId: user.upn,
      userKey: user.objectId,
      userType: 0,
      clientIp: ip,
      resultStatus: failed ? 'Failed' : 'Success',
      objectId: app.id,
    }),
    AzureActiveDirectoryEventType: 1,
    ExtendedProperties: [
      { Name: 'ResultStatusDetail', Value: failed ? 'Redirect' : 'Success' },
      { Name: 'UserAgent', Value: random.pick(USER_AGENTS) },
      { Name: 'RequestType', Value: random.pick(['OAuth2:Authorize', 'OAuth2:Token', 'Login:login']) },
    ],
    ModifiedProperties: [],
    Actor: [
      { ID: user.objectId, Type: 0 },
      { ID: user.upn, Type: 5 },
    ],
    ActorContextId: ctx.tenantId,
    ActorIpAddress: ip,
    InterSystemsId: random.guid(),
    IntraSystemId: random.guid(),
    SupportTicketId: '',
    Target: [{ ID: app.id, Type: 0 }],
    TargetContextId: ctx.tenantId,
    ApplicationId: app.id,
    DeviceProperties: [
      { Name: 'OS', Value: random.pick(['Windows10', 'MacOs', 'Ios']) },
      { Name: 'BrowserType', Value: random.pick(['Edge', 'Chrome', 'Safari']) },
      { Name: 'IsCompliantAndManaged', Value: 'False' },
      { Name: 'SessionId', Value: random.guid() },
    ],
    ErrorNumber: failed ? '50126' : '0',
    ...(failed ? { LogonError: 'InvalidUserNameOrPassword' } : {}),
  };
}

const CHANGES = [
  { operation: 'Add user.', property: 'DisplayName', category: 'User' },
  { operation: 'Update user.', property: 'JobTitle', category: 'User' },
  { operation: 'Reset user password.', property: 'PasswordPolicies', category: 'User' },
  { operation: 'Add member to group.', property: 'Group.DisplayName', category: 'Group' },
  {
    operation: 'Update application – Certificates and secrets management ',
    property: 'KeyDescription',
    category: 'Application',
  },
] as const;

function directoryChange(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const admin = adminUser(ctx);
  const target = someUser(ctx);
  const change = random.pick(CHANGES);
  return {
    ...baseRecord(ctx, {
      recordType: 8,
      operation: change.operation,
      workload: 'AzureActiveDirectory',
      userId: admin.upn,
      userKey: `${admin.puid}@${ctx.directory.domain}`,
      userType: 0,
      clientIp: null, // directory events carry no client address
      resultStatus: 'Success',
      objectId: target.upn,
    }),
    AzureActiveDirectoryEventType: 1,
    ExtendedProperties: [
      { Name: 'additionalDetails', Value: `{"User-Agent":"${random.pick(USER_AGENTS).replace(/"/g, '')}"}` },
      { Name: 'extendedAuditEventCategory', Value: change.category },
      // Free text typed by an operator, line break included; it must reach the SIEM unchanged.
      { Name: 'Comment', Value: `Requested by helpdesk\nTicket ${random.int(10000, 99999)} – ${target.displayName}` },
    ],
    ModifiedProperties: [
      { Name: change.property, NewValue: JSON.stringify([target.displayName]), OldValue: '[]' },
      { Name: 'Included Updated Properties', NewValue: change.property, OldValue: '' },
    ],
    Actor: [
      { ID: 'Microsoft Graph', Type: 1 },
      { ID: admin.upn, Type: 5 },
      { ID: admin.objectId, Type: 2 },
    ],
    ActorContextId: ctx.tenantId,
    InterSystemsId: random.guid(),
    IntraSystemId: random.guid(),
    SupportTicketId: '',
    Target: [
      { ID: `User_${target.objectId}`, Type: 2 },
      { ID: target.upn, Type: 5 },
    ],
    TargetContextId: ctx.tenantId,
  };
}
