import { parseNcrontab } from '../ncrontab.ts';
import { fail, quote, type SettingSpec } from '../spec.ts';

/** A timer schedule setting, checked as NCRONTAB so a typo names its setting instead of stopping the host. */
export function scheduleSetting(
  name: string,
  errorId: number,
  functionName: string,
  defaultValue: string,
): SettingSpec<string> {
  const spec: SettingSpec<string> = {
    name,
    errorId,
    description: `Schedule of \`${functionName}\` (NCRONTAB, six fields, UTC).`,
    defaultValue,
    allowed: 'NCRONTAB `sec min hour day month weekday`',
    parse(raw) {
      const expression = raw ?? defaultValue;
      try {
        parseNcrontab(expression);
      } catch (err) {
        fail(spec, `${quote(expression)} ${(err as Error).message}`, `use six fields, for example ${defaultValue}.`);
      }
      return expression;
    },
  };
  return spec;
}

export const auditAzureActiveDirectorySchedule = scheduleSetting(
  'AUDIT_AZUREACTIVEDIRECTORY_SCHEDULE',
  60,
  'auditAzureActiveDirectory',
  '0 */5 * * * *',
);
export const auditExchangeSchedule = scheduleSetting('AUDIT_EXCHANGE_SCHEDULE', 61, 'auditExchange', '0 */5 * * * *');
export const auditSharePointSchedule = scheduleSetting(
  'AUDIT_SHAREPOINT_SCHEDULE',
  62,
  'auditSharePoint',
  '0 */5 * * * *',
);
export const auditGeneralSchedule = scheduleSetting('AUDIT_GENERAL_SCHEDULE', 63, 'auditGeneral', '0 */5 * * * *');
export const dlpAllSchedule = scheduleSetting('DLP_ALL_SCHEDULE', 64, 'dlpAll', '0 */5 * * * *');
export const uriRetrySchedule = scheduleSetting('URI_RETRY_SCHEDULE', 65, 'uriRetry', '0 */15 * * * *');
export const messageTraceSchedule = scheduleSetting('MESSAGE_TRACE_SCHEDULE', 66, 'messageTrace', '0 */10 * * * *');

/** In README order. */
export const SCHEDULE_SETTINGS: readonly SettingSpec<unknown>[] = [
  auditAzureActiveDirectorySchedule,
  auditExchangeSchedule,
  auditSharePointSchedule,
  auditGeneralSchedule,
  dlpAllSchedule,
  uriRetrySchedule,
  messageTraceSchedule,
];
