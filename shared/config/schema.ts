/**
 * The one list of app settings. README's table, `local.settings.sample.json` and the Bicep app settings are checked
 * against it; collectors read their settings only through the readers in `index.ts`.
 */
import { CLOUDS, CLOUD_ENDPOINTS, type Cloud } from './clouds.ts';
import {
  booleanSetting,
  enumSetting,
  fail,
  integerSetting,
  numberSetting,
  quote,
  rawValue,
  textSetting,
  type Env,
  type SettingSpec,
} from './spec.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An `https://host[:port]` origin, with no path: used for login and API hosts so tests can point at loopback. */
function httpsOriginSetting(
  base: Omit<SettingSpec<string>, 'parse' | 'allowed'>,
  fallback: (env: Env) => string | undefined,
): SettingSpec<string | undefined> {
  const spec: SettingSpec<string | undefined> = {
    ...base,
    allowed: '`https://host[:port]`',
    parse(raw, env) {
      if (raw === undefined) return fallback(env);
      let url: URL | undefined;
      try {
        url = new URL(raw);
      } catch {
        url = undefined;
      }
      if (
        url?.protocol !== 'https:' ||
        (url.pathname !== '/' && url.pathname !== '') ||
        url.search !== '' ||
        url.username !== ''
      ) {
        fail(
          spec,
          `${quote(raw)} is not an https origin like https://login.microsoftonline.com.`,
          'give only the scheme and host (and port), no path.',
        );
      }
      return url.origin;
    },
  };
  return spec;
}

// --- State storage -----------------------------------------------------------------------------------------------

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

// --- Office 365 app registration -----------------------------------------------------------------------------------

export const tenantId = textSetting({
  name: 'O365_TENANT_ID',
  errorId: 20,
  seedName: 'tenant_id',
  description: 'Directory (tenant) ID of the Office 365 tenant. Logged masked (first 4 characters).',
  defaultText: 'required by collectors',
  allowed: 'GUID',
  pattern: GUID,
  problem: 'is not a GUID.',
  fix: 'copy the Directory (tenant) ID from the app registration overview in Entra ID.',
});
export const clientId = textSetting({
  name: 'O365_CLIENT_ID',
  errorId: 21,
  seedName: 'client_id',
  description: 'Application (client) ID of the app registration. Logged masked (first 4 characters).',
  defaultText: 'required by collectors',
  allowed: 'GUID',
  pattern: GUID,
  problem: 'is not a GUID.',
  fix: 'copy the Application (client) ID from the app registration overview in Entra ID.',
});
export const clientSecret = textSetting({
  name: 'O365_CLIENT_SECRET',
  errorId: 22,
  seedName: 'client_secret',
  secret: true,
  description: 'Client secret of the app registration (a Key Vault reference in Azure). Never logged.',
  defaultText: 'required by collectors',
  fix: 'create a client secret under Certificates & secrets and store its value (not its ID).',
});
export const cloud = enumSetting({
  name: 'O365_CLOUD',
  errorId: 23,
  description: 'Microsoft cloud of the tenant; picks API hosts and the login authority.',
  values: CLOUDS,
  default: 'commercial',
});
export const authorityHost = httpsOriginSetting(
  {
    name: 'O365_AUTHORITY_HOST',
    errorId: 24,
    seedName: 'override_base_auth_url',
    description: 'Entra ID login host override.',
    defaultValue: undefined,
    defaultText: 'per `O365_CLOUD` (`https://login.microsoftonline.com`, `.us` for gcchigh/dod)',
  },
  (env) => CLOUD_ENDPOINTS[cloudOf(env)].authorityHost,
);

function cloudOf(env: Env): Cloud {
  const raw = rawValue(env, cloud.name)?.toLowerCase();
  return CLOUDS.find((c) => c === raw) ?? 'commercial';
}

// --- Devo ----------------------------------------------------------------------------------------------------------

export const devoHost = textSetting({
  name: 'DEVO_HOST',
  errorId: 30,
  description:
    'Devo collector endpoint (`collector-eu.devo.io`, `collector-ca.devo.io`, `collector-ap.devo.io`, or a relay).',
  default: 'collector-us.devo.io',
  allowed: 'host name or IP address',
  pattern: /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:]+\]?$/,
  problem: 'is not a host name (give the host only, no scheme, port or path).',
  fix: 'use for example collector-eu.devo.io.',
});
export const devoPort = integerSetting({
  name: 'DEVO_PORT',
  errorId: 31,
  description: 'Devo collector port (443 for the cloud, the relay rule port for an in-house relay).',
  min: 1,
  max: 65535,
  default: 443,
  fix: 'use the port of your Devo endpoint, usually 443.',
});
export const devoTls = booleanSetting({
  name: 'DEVO_TLS',
  errorId: 32,
  description: 'Mutual TLS to Devo; `false` sends plain TCP to an in-house relay.',
  default: true,
});
export const devoCert = textSetting({
  name: 'DEVO_CERT',
  errorId: 33,
  secret: true,
  description: 'PEM text of the Devo domain client certificate (Key Vault reference in Azure).',
  defaultText: 'required when `DEVO_TLS` is true',
  allowed: 'PEM',
  fix: 'paste the .crt file downloaded from Devo (Administration > Credentials > X.509).',
});
export const devoKey = textSetting({
  name: 'DEVO_KEY',
  errorId: 34,
  secret: true,
  description: 'PEM text of the private key of `DEVO_CERT`, unencrypted (Key Vault reference in Azure).',
  defaultText: 'required when `DEVO_TLS` is true',
  allowed: 'PEM',
  fix: 'paste the .key file downloaded from Devo together with the certificate.',
});
export const devoChain = textSetting({
  name: 'DEVO_CHAIN',
  errorId: 35,
  secret: true,
  description: 'PEM text of the Devo CA chain; it replaces the default trust store for the Devo connection.',
  defaultText: 'required when `DEVO_TLS` is true',
  allowed: 'PEM',
  fix: 'paste the chain.crt file downloaded from Devo.',
});
export const devoCompression = enumSetting({
  name: 'DEVO_COMPRESSION',
  errorId: 36,
  description: 'Send gzip members of about 19.5 KB instead of plain lines.',
  values: ['none', 'gzip'],
  default: 'none',
});

// --- Dedupe --------------------------------------------------------------------------------------------------------

export const bloomFilterSize = integerSetting({
  name: 'BLOOM_FILTER_SIZE',
  errorId: 40,
  seedName: 'override_bloom_filter_size',
  description: 'Records one dedupe filter holds before it is reset and reseeded from the recent buffer.',
  min: 1000,
  max: 100_000_000,
  default: 10_000_000,
});
export const bloomFilterBufferSize = integerSetting({
  name: 'BLOOM_FILTER_BUFFER_SIZE',
  errorId: 41,
  seedName: 'override_bloom_filter_buffer_size',
  description: 'Recent record hashes kept to reseed a filter after a reset; must be smaller than `BLOOM_FILTER_SIZE`.',
  min: 100,
  max: 10_000_000,
  default: 100_000,
});
export const bloomFilterErrorRate = numberSetting({
  name: 'BLOOM_FILTER_ERROR_RATE',
  errorId: 42,
  description:
    'Target false-positive rate of a full filter: the share of unique records wrongly taken for duplicates. 1e-6 costs ~36 MB per 10M records.',
  min: 0,
  minExclusive: true,
  max: 0.01,
  default: 0.000001,
  fix: 'use a small probability such as 0.000001 (1e-6); 0.01 is the highest accepted.',
});

/** Every setting, in README order. */
export const ALL_SETTINGS: readonly SettingSpec<unknown>[] = [
  storageConnectionString,
  storageAccountName,
  storageBlobServiceUri,
  storageTableServiceUri,
  storageCredential,
  storageClientId,
  stateTableName,
  stateContainerName,
  tenantId,
  clientId,
  clientSecret,
  cloud,
  authorityHost,
  devoHost,
  devoPort,
  devoTls,
  devoCert,
  devoKey,
  devoChain,
  devoCompression,
  bloomFilterSize,
  bloomFilterBufferSize,
  bloomFilterErrorRate,
];
