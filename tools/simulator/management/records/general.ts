import { formatCreationTime } from '../../time.ts';
import type { AuditRecord, RecordContext } from './common.ts';
import { adminUser, baseRecord, clientIp, someUser, TITLES, USER_AGENTS } from './common.ts';

/** Audit.General: everything else — Teams, Security & Compliance, Power BI, Defender (ThreatIntelligence), Forms. */
export function generalRecord(ctx: RecordContext): AuditRecord {
  const builders = [teams, teams, compliance, powerBi, threatIntelligence, forms];
  return ctx.random.pick(builders)(ctx);
}

function teams(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const user = someUser(ctx);
  const member = someUser(ctx);
  const operation = random.pick(['TeamsSessionStarted', 'MemberAdded', 'ChannelAdded', 'MessageSent']);
  const team = random.pick(['Équipe Tokyo 東京', 'Project Falcon', 'Ventas – España']);
  return {
    ...baseRecord(ctx, {
      recordType: 25,
      operation,
      workload: 'MicrosoftTeams',
      userId: user.upn,
      userKey: user.objectId,
      userType: 0,
      clientIp: clientIp(random),
    }),
    AADGroupId: random.guid(),
    CommunicationType: 'Team',
    TeamGuid: `19:${random.hex(32)}@thread.tacv2`,
    TeamName: team,
    ...(operation === 'ChannelAdded'
      ? { ChannelName: random.pick(['Général', 'Announcements']), ChannelType: 'Standard' }
      : {}),
    ...(operation === 'MemberAdded'
      ? { Members: [{ DisplayName: member.displayName, Role: 1, UPN: member.upn }] }
      : {}),
    ExtraProperties: [
      { Key: 'TimeZone', Value: random.pick(['Europe/Berlin', 'Asia/Tokyo', 'Europe/Madrid']) },
      { Key: 'OsName', Value: random.pick(['Windows', 'macOS', 'iOS']) },
      { Key: 'Browser', Value: random.pick(['Teams Desktop', 'Edge']) },
    ],
  };
}

function compliance(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const admin = adminUser(ctx);
  const cmdlet = random.pick(['New-ComplianceSearch', 'Start-ComplianceSearch', 'New-ComplianceSearchAction']);
  return {
    ...baseRecord(ctx, {
      recordType: 18,
      operation: cmdlet,
      workload: 'SecurityComplianceCenter',
      userId: admin.upn,
      userKey: admin.puid,
      userType: 2,
      clientIp: clientIp(random),
      objectId: `Legal hold – ${random.pick(TITLES)}`,
    }),
    ClientApplication: 'EMC',
    CmdletVersion: '',
    EffectiveOrganization: ctx.directory.domain,
    Parameters: `-Name "Legal hold – ${random.int(2026, 2027)}" -ExchangeLocation "All" -ContentMatchQuery "subject:'Résumé'"`,
    SecurityComplianceCenterEventType: 0,
    UserServicePlan: 'Enterprise',
  };
}

function powerBi(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const user = someUser(ctx);
  const activity = random.pick(['ViewReport', 'ExportReport', 'ViewDashboard']);
  const report = random.pick(['Ventas – España', 'Umsatz München', 'Sales overview']);
  return {
    ...baseRecord(ctx, {
      recordType: 20,
      operation: activity,
      workload: 'PowerBI',
      userId: user.upn,
      userKey: user.puid,
      userType: 0,
      clientIp: clientIp(random),
      objectId: report,
    }),
    UserAgent: random.pick(USER_AGENTS),
    Activity: activity,
    ItemName: report,
    WorkSpaceName: 'Finance',
    DatasetName: report,
    ReportName: report,
    WorkspaceId: random.guid(),
    DatasetId: random.guid(),
    ReportId: random.guid(),
    IsSuccess: true,
    RequestId: random.guid(),
    ActivityId: random.guid(),
    DistributionMethod: 'Workspace',
    ConsumptionMethod: 'Power BI Web',
  };
}

function threatIntelligence(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const recipient = someUser(ctx);
  const subject = random.pick(TITLES);
  return {
    ...baseRecord(ctx, {
      recordType: 28,
      operation: 'TIMailData',
      workload: 'ThreatIntelligence',
      userId: 'ThreatIntelligence',
      userKey: 'ThreatIntelligence',
      userType: 4,
      clientIp: null,
      objectId: random.guid(),
    }),
    AttachmentData: [
      {
        FileName: `${subject}.docm`,
        FileType: 'docm',
        FileVerdict: 1,
        MalwareFamily: 'Trojan:O97M/Sadoca',
        SHA256: random.hex(64),
      },
    ],
    DeliveryAction: 'Blocked',
    DetectionMethod: 'File detonation',
    DetectionType: 'Inline',
    InternetMessageId: `<${random.hex(16)}@mail.fabrikam.example>`,
    MessageTime: formatCreationTime(ctx.creationTime - random.int(1, 300) * 1000),
    NetworkMessageId: random.guid(),
    P1Sender: 'billing@fabrikam.example',
    P2Sender: 'billing@fabrikam.example',
    Recipients: [recipient.upn],
    SenderIp: `${random.pick(['198.51.100', '203.0.113'])}.${random.int(1, 254)}`,
    Subject: subject,
    Verdict: 'Malware',
  };
}

function forms(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const user = someUser(ctx);
  return {
    ...baseRecord(ctx, {
      recordType: 66,
      operation: random.pick(['ViewForm', 'CreateResponse', 'EditForm']),
      workload: 'MicrosoftForms',
      userId: user.upn,
      userKey: user.objectId,
      userType: 0,
      clientIp: clientIp(random),
      objectId: random.hex(16),
    }),
    FormId: `${random.hex(20)}`,
    FormName: random.pick(['Umfrage – Zufriedenheit', 'アンケート 2027', 'Team lunch']),
    FormTypes: ['Form'],
    SourceApp: 'Microsoft Forms',
  };
}
