import { enumSetting, textSetting, httpsOriginSetting, GUID, type SettingSpec } from '../spec.ts';
export const storageConnectionString = textSetting({
  name: 'AzureWebJobsStorage',
  errorId: 10,
  where: 'local',
  secret: true,
  description:
    'Storage for the Functions host and our state (cursors in Table, filters in Blob). A connection string locally (`UseDevelopmentStorage=true` for Azurite); in Azure use the identity-based `AzureWebJobsStorage__*` settings instead.',
  defaultText: 'required (or the `__` identity form)',
  fix: 'set a storage connection string (UseDevelopmentStorage=true for Azurite) or AzureWebJobsStorage__accountName with a managed identity.',
});
export const storageAccountName = textSetting({
  name: 'AzureWebJobsStorage__accountName',
  where: 'azure',
  errorId: 11,
  description:
    'Identity-based storage: the account name; blob and table endpoints are derived from it in the commercial cloud.',
  pattern: /^[a-z0-9]{3,24}$/,
  problem: 'is not a storage account name (3-24 lowercase letters and digits).',
  fix: 'use the storage account name only, not a URL.',
});
export const storageBlobServiceUri = httpsOriginSetting(
  {
    name: 'AzureWebJobsStorage__blobServiceUri',
    where: 'azure',
    errorId: 12,
    description: 'Identity-based storage: blob endpoint (sovereign clouds).',
    defaultValue: undefined,
    defaultText: 'from the account name',
  },
  () => undefined,
);
export const storageTableServiceUri = httpsOriginSetting(
  {
    name: 'AzureWebJobsStorage__tableServiceUri',
    where: 'azure',
    errorId: 13,
    description: 'Identity-based storage: table endpoint (sovereign clouds).',
    defaultValue: undefined,
    defaultText: 'from the account name',
  },
  () => undefined,
);
export const storageCredential = enumSetting({
  name: 'AzureWebJobsStorage__credential',
  where: 'azure',
  errorId: 14,
  description: 'Identity-based storage: must be `managedidentity` when set.',
  values: ['managedidentity'],
  default: 'managedidentity',
});
export const storageClientId = textSetting({
  name: 'AzureWebJobsStorage__clientId',
  where: 'azure',
  errorId: 15,
  description: 'Identity-based storage: client ID of the user-assigned managed identity (unset = system-assigned).',
  pattern: GUID,
  problem: 'is not a GUID.',
  fix: 'use the client ID (not the principal ID) of the managed identity.',
});
export const stateTableName = textSetting({
  name: 'STATE_TABLE_NAME',
  errorId: 16,
  description: 'Table that holds one cursor per function.',
  default: 'o365devostate',
  pattern: /^[A-Za-z][A-Za-z0-9]{2,62}$/,
  problem: 'is not a valid table name (3-63 letters and digits, starting with a letter).',
  fix: 'choose a table name of letters and digits.',
});
export const stateContainerName = textSetting({
  name: 'STATE_CONTAINER_NAME',
  errorId: 17,
  description: 'Blob container that holds the dedupe filter state.',
  default: 'o365devo-state',
  pattern: /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/,
  problem: 'is not a valid container name (3-63 lowercase letters, digits and single hyphens).',
  fix: 'choose a lowercase container name.',
});

/** In README order. */
export const STORAGE_SETTINGS: readonly SettingSpec<unknown>[] = [
  storageConnectionString,
  storageAccountName,
  storageBlobServiceUri,
  storageTableServiceUri,
  storageCredential,
  storageClientId,
  stateTableName,
  stateContainerName,
];
