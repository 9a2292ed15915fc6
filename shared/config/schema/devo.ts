import { DEFAULT_MAX_EVENT_BYTES, MAX_MAX_EVENT_BYTES, MIN_MAX_EVENT_BYTES } from '../../devo/event-cap.ts';
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
  description:
    'PEM text of the Devo domain client certificate (Key Vault reference in Azure). Leave empty when `DEVO_PFX` is used.',
  defaultText: 'required when `DEVO_TLS` is true, unless `DEVO_PFX` is set',
  allowed: 'PEM',
  fix: 'paste the .crt file downloaded from Devo (Administration > Credentials > X.509).',
});
export const devoKey = textSetting({
  name: 'DEVO_KEY',
  errorId: 34,
  secret: true,
  description:
    'PEM text of the private key of `DEVO_CERT`, unencrypted (Key Vault reference in Azure). Leave empty when `DEVO_PFX` is used.',
  defaultText: 'required when `DEVO_TLS` is true, unless `DEVO_PFX` is set',
  allowed: 'PEM',
  fix: 'paste the .key file downloaded from Devo together with the certificate.',
});
export const devoChain = textSetting({
  name: 'DEVO_CHAIN',
  errorId: 35,
  secret: true,
  description:
    'PEM text of the Devo CA chain; it replaces the default trust store for the Devo connection. Required with `DEVO_PFX` too.',
  defaultText: 'required when `DEVO_TLS` is true',
  allowed: 'PEM',
  fix: 'paste the chain.crt file downloaded from Devo.',
});
export const devoPfx = textSetting({
  name: 'DEVO_PFX',
  errorId: 37,
  secret: true,
  description:
    'Base64 text of a PKCS#12 (.pfx) bundle holding the Devo client certificate and its key, instead of `DEVO_CERT` and `DEVO_KEY`: this is how Key Vault stores a .pfx (an imported certificate or `az keyvault secret set --encoding base64`). `DEVO_CHAIN` stays required: it alone decides which servers are trusted.',
  defaultText: 'empty: `DEVO_CERT` and `DEVO_KEY` are used',
  allowed: 'base64 PKCS#12',
  pattern: /^[A-Za-z0-9+/=\s]+$/,
  problem: 'is not base64 text.',
  fix: 'store the .pfx base64-encoded (base64 -w0 domain.pfx, or az keyvault secret set --file domain.pfx --encoding base64).',
});
export const devoPfxPassphrase = textSetting({
  name: 'DEVO_PFX_PASSPHRASE',
  errorId: 38,
  secret: true,
  // A passphrase may begin or end with a space: trimmed, it would not open the bundle.
  verbatim: true,
  description:
    'Passphrase of `DEVO_PFX` (Key Vault reference in Azure), used exactly as set, spaces included; empty for a bundle without one, such as a certificate imported into Key Vault.',
  defaultText: 'empty: no passphrase',
  fix: 'set the passphrase the .pfx was exported with, or leave it empty for a bundle without one.',
});
export const devoTlsSecurityLevel = integerSetting({
  name: 'DEVO_TLS_SECURITY_LEVEL',
  errorId: 39,
  description:
    "OpenSSL security level (`@SECLEVEL=N`) of the Devo connection. Only for an older Devo domain certificate refused with `CA_MD_TOO_WEAK` or `EE_KEY_TOO_SMALL`: 0 accepts weak digests and keys, as Devo's own SDK does, and is logged as a warning at every run. Server verification stays on.",
  defaultText: "empty: Node's default (1)",
  min: 0,
  max: 5,
  fix: 'leave it empty, or use 0 only if Devo refuses the domain certificate with CA_MD_TOO_WEAK.',
});
export const devoMaxEventBytes = integerSetting({
  name: 'DEVO_MAX_EVENT_BYTES',
  errorId: 43,
  description:
    'Largest syslog line (header and LF included) sent to Devo, which documents no limit. A longer event is cut on a character boundary to fit and ends in `[o365devo:truncated]`, never dropped; cut events are counted (metric `o365devo.devo.truncated_events`).',
  min: MIN_MAX_EVENT_BYTES,
  max: MAX_MAX_EVENT_BYTES,
  default: DEFAULT_MAX_EVENT_BYTES,
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
  devoPfx,
  devoPfxPassphrase,
  devoTlsSecurityLevel,
  devoMaxEventBytes,
  devoCompression,
];
