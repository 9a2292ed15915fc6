import type { ContentType } from '../content-types.ts';
import type { AuditRecord, RecordContext } from './common.ts';
import { dlpRecord } from './dlp.ts';
import { exchangeRecord } from './exchange.ts';
import { generalRecord } from './general.ts';
import { identityRecord } from './identity.ts';
import { sharePointRecord } from './sharepoint.ts';

export type { AuditRecord, Directory, RecordContext } from './common.ts';
export { createDirectory } from './common.ts';

const BUILDERS: Record<ContentType, (ctx: RecordContext) => AuditRecord> = {
  'Audit.AzureActiveDirectory': identityRecord,
  'Audit.Exchange': exchangeRecord,
  'Audit.SharePoint': sharePointRecord,
  'Audit.General': generalRecord,
  'DLP.All': dlpRecord,
};

/** One realistic audit record of a content type. */
export function buildRecord(contentType: ContentType, ctx: RecordContext): AuditRecord {
  return BUILDERS[contentType](ctx);
}
