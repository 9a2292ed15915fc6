import { booleanSetting, enumSetting, integerSetting, textSetting, type SettingSpec } from '../spec.ts';
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
  description:
    'Mutual TLS to Devo; `false` sends plain TCP to an in-house relay, and is refused for a Devo cloud host (`*.devo.io`, `*.devo.com`).',
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

/** In README order. */
export const DEVO_SETTINGS: readonly SettingSpec<unknown>[] = [
  devoHost,
  devoPort,
  devoTls,
  devoCert,
  devoKey,
  devoChain,
  devoCompression,
];
