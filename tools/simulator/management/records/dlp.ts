import { formatCreationTime } from '../../time.ts';
import type { AuditRecord, RecordContext } from './common.ts';
import { baseRecord, someUser, TITLES } from './common.ts';
import { fileLocation } from './sharepoint.ts';

const SENSITIVE_TYPES = [
  { name: 'Credit Card Number', sample: '4111 **** **** 1111' },
  { name: 'EU Debit Card Number', sample: '5555 **** **** 4444' },
  { name: 'International Banking Account Number (IBAN)', sample: 'DE89 **** **** **** 3000' },
] as const;

/** DLP.All: policy matches in Exchange (13) and SharePoint / OneDrive (11). */
export function dlpRecord(ctx: RecordContext): AuditRecord {
  return ctx.random.chance(0.5) ? exchangeMatch(ctx) : sharePointMatch(ctx);
}

function policyDetails(ctx: RecordContext): AuditRecord[] {
  const { random } = ctx;
  const type = random.pick(SENSITIVE_TYPES);
  const count = random.int(1, 12);
  return [
    {
      PolicyId: random.guid(),
      PolicyName: random.pick(['U.S. Financial Data', 'GDPR – Données personnelles', 'PCI DSS']),
      Rules: [
        {
          Actions: random.pick([['NotifyUser'], ['NotifyUser', 'BlockAccess'], ['GenerateIncidentReport']]),
          ConditionsMatched: {
            ConditionMatchedInNewScheme: true,
            OtherConditions: [],
            SensitiveInformation: [
              {
                ClassifierType: 'Content',
                Confidence: random.pick([75, 85, 95]),
                Count: count,
                Location: null,
                SensitiveInformationDetections: {
                  DetectedValues: [{ Name: type.name, Value: type.sample }],
                  ResultsTruncated: count > 1,
                },
                SensitiveInformationTypeId: random.guid(),
                SensitiveInformationTypeName: type.name,
                SensitiveType: random.guid(),
                UniqueCount: Math.max(1, count - 1),
              },
            ],
          },
          ManagementRuleId: random.guid(),
          RuleId: random.guid(),
          RuleMode: 'Enable',
          RuleName: `${type.name} – high volume`,
          Severity: random.pick(['Low', 'Medium', 'High']),
        },
      ],
    },
  ];
}

function exchangeMatch(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const sender = someUser(ctx);
  const to = someUser(ctx);
  return {
    ...baseRecord(ctx, {
      recordType: 13,
      operation: 'DLPRuleMatch',
      workload: 'Exchange',
      userId: sender.upn,
      userKey: sender.puid,
      userType: 0,
      clientIp: '',
      objectId: `<${random.hex(12).toUpperCase()}@contoso.onmicrosoft.com>`,
    }),
    IncidentId: random.guid(),
    PolicyDetails: policyDetails(ctx),
    SensitiveInfoDetectionIsIncluded: true,
    ExchangeMetaData: {
      BCC: [],
      CC: [],
      FileSize: random.int(5_000, 900_000),
      From: sender.upn,
      MessageID: `<${random.hex(12).toUpperCase()}@contoso.onmicrosoft.com>`,
      RecipientCount: 1,
      Sent: formatCreationTime(ctx.creationTime - random.int(1, 60) * 1000),
      Subject: random.pick(TITLES),
      To: [to.upn],
      UniqueID: random.guid(),
    },
  };
}

function sharePointMatch(ctx: RecordContext): AuditRecord {
  const { random } = ctx;
  const owner = someUser(ctx);
  const location = fileLocation(ctx, owner);
  return {
    ...baseRecord(ctx, {
      recordType: 11,
      operation: 'DLPRuleMatch',
      workload: location.workload,
      userId: owner.upn,
      userKey: 'SharePoint',
      userType: 4,
      clientIp: '',
      objectId: location.objectId,
    }),
    IncidentId: random.guid(),
    PolicyDetails: policyDetails(ctx),
    SensitiveInfoDetectionIsIncluded: true,
    SharePointMetaData: {
      FileID: random.guid(),
      FileName: location.fileName,
      FileOwner: owner.displayName,
      FilePathUrl: location.objectId,
      From: owner.upn,
      ItemCreationTime: formatCreationTime(ctx.creationTime - random.int(1, 30) * 86_400_000),
      ItemLastModifiedTime: formatCreationTime(ctx.creationTime - random.int(1, 600) * 1000),
      IsViewableByExternalUsers: random.chance(0.2),
      IsVisibleOnlyToOdbOwner: location.workload === 'OneDrive',
      SiteAdmin: [owner.upn],
      SiteCollectionGuid: random.guid(),
      SiteCollectionUrl: location.siteUrl,
      UniqueID: random.guid(),
    },
  };
}
