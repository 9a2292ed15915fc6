import { settings } from '../config/index.ts';
import type { SettingSpec } from '../config/index.ts';

/** One timer function per content type; the collector flow is the same for all of them. */
export interface ManagementFunction {
  functionName: string;
  contentType: string;
  schedule: SettingSpec<string>;
}

export const MANAGEMENT_FUNCTIONS: readonly ManagementFunction[] = [
  {
    functionName: 'auditAzureActiveDirectory',
    contentType: 'Audit.AzureActiveDirectory',
    schedule: settings.auditAzureActiveDirectorySchedule,
  },
  { functionName: 'auditExchange', contentType: 'Audit.Exchange', schedule: settings.auditExchangeSchedule },
  { functionName: 'auditSharePoint', contentType: 'Audit.SharePoint', schedule: settings.auditSharePointSchedule },
  { functionName: 'auditGeneral', contentType: 'Audit.General', schedule: settings.auditGeneralSchedule },
  { functionName: 'dlpAll', contentType: 'DLP.All', schedule: settings.dlpAllSchedule },
];

export const TAG_PREFIX = 'cloud.office365.management';

/**
 * Devo's table for a record: `cloud.office365.management.` + the lowercased Workload without separators
 * (`AzureActiveDirectory` → `azureactivedirectory`), as Devo's own table list names them.
 */
export function tagForWorkload(workload: unknown): string {
  const level = typeof workload === 'string' ? workload.toLowerCase().replace(/[^a-z0-9]/g, '') : '';
  return `${TAG_PREFIX}.${level === '' ? 'unknown' : level}`;
}

/** Compares content types the way the API does not always spell them (`Audit.Sharepoint` vs `Audit.SharePoint`). */
export const sameContentType = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
