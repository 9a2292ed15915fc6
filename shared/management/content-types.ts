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
  if (typeof workload !== 'string') return UNKNOWN_TAG;
  let tag = tags.get(workload);
  if (tag === undefined) {
    const level = workload.toLowerCase().replace(/[^a-z0-9]/g, '');
    tag = level === '' ? UNKNOWN_TAG : `${TAG_PREFIX}.${level}`;
    // A handful of workloads exist; the bound only guards against a feed that puts free text there.
    if (tags.size < 256) tags.set(workload, tag);
  }
  return tag;
}

const UNKNOWN_TAG = `${TAG_PREFIX}.unknown`;
/** Tags already made, by Workload: every record asks, and the same string back makes the sender's lookup cheap. */
const tags = new Map<string, string>();

/** Compares content types the way the API does not always spell them (`Audit.Sharepoint` vs `Audit.SharePoint`). */
export const sameContentType = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
