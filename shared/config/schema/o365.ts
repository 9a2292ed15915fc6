import { cloudOf } from './cloud-of.ts';
import { CLOUDS, CLOUD_ENDPOINTS } from '../clouds.ts';
import { enumSetting, textSetting, httpsOriginSetting, GUID, type SettingSpec } from '../spec.ts';
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
export const clientCertificate = textSetting({
  name: 'O365_CLIENT_CERTIFICATE',
  errorId: 25,
  secret: true,
  description:
    "PEM text with the app registration's certificate and its private key; used instead of `O365_CLIENT_SECRET` when set.",
  allowed: 'PEM',
  fix: 'paste the certificate and its unencrypted private key in PEM form.',
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

/** In README order. */
export const O365_SETTINGS: readonly SettingSpec<unknown>[] = [
  tenantId,
  clientId,
  clientSecret,
  clientCertificate,
  cloud,
  authorityHost,
];
