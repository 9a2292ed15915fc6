import type { Cloud } from './clouds.ts';
import { ConfigError, type SettingProblem } from './errors.ts';
import { normalizePem, parseCertificates, parsePrivateKey } from './pem.ts';
import { decodePfx, openPkcs12 } from './pkcs12.ts';
import * as S from './schema/index.ts';
import type { DedupeSettings, DevoSettings, StorageSettings } from './settings-types.ts';
import { collect, rawValue, type Env, type SettingSpec } from './spec.ts';

export interface O365Settings {
  tenantId: string;
  clientId: string;
  /** One of the two is set; the certificate wins when both are. */
  clientSecret?: string;
  clientCertificate?: string;
  cloud: Cloud;
  authorityHost: string;
}

/** Runs `body` with a problem list and throws one ConfigError naming every problem found. */
export function readAll<T>(body: (problems: SettingProblem[]) => T): T {
  const problems: SettingProblem[] = [];
  const result = body(problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

function missing(spec: SettingSpec<unknown>, fix: string): SettingProblem {
  return { errorId: spec.errorId, setting: spec.name, problem: 'is not set.', fix };
}

export function readO365Settings(env: Env): O365Settings {
  return readAll((problems) => {
    const tenantId = collect(S.tenantId, env, problems);
    const clientId = collect(S.clientId, env, problems);
    const clientSecret = collect(S.clientSecret, env, problems);
    const clientCertificate = readClientCertificate(env, problems);
    const cloud = collect(S.cloud, env, problems);
    const authorityHost = collect(S.authorityHost, env, problems);
    for (const spec of [S.tenantId, S.clientId]) {
      if (rawValue(env, spec.name) === undefined) problems.push(missing(spec, spec.fix));
    }
    if (rawValue(env, S.clientSecret.name) === undefined && rawValue(env, S.clientCertificate.name) === undefined) {
      problems.push(missing(S.clientSecret, `${S.clientSecret.fix} Or set O365_CLIENT_CERTIFICATE.`));
    }
    return {
      tenantId,
      clientId,
      cloud,
      authorityHost,
      ...(clientSecret === undefined ? {} : { clientSecret }),
      ...(clientCertificate === undefined ? {} : { clientCertificate }),
    } as O365Settings;
  });
}

function readClientCertificate(env: Env, problems: SettingProblem[]): string | undefined {
  const raw = collect(S.clientCertificate, env, problems);
  if (raw === undefined) return undefined;
  const pem = normalizePem(raw);
  try {
    const [certificate] = parseCertificates(pem);
    if (certificate === undefined || !certificate.checkPrivateKey(parsePrivateKey(pem))) throw new Error('mismatch');
    return pem;
  } catch {
    problems.push({
      errorId: S.clientCertificate.errorId,
      setting: S.clientCertificate.name,
      problem: 'does not hold a PEM certificate together with its unencrypted private key.',
      fix: S.clientCertificate.fix,
    });
    return undefined;
  }
}

export function readDevoSettings(env: Env): DevoSettings {
  return readAll((problems) => {
    const settings: DevoSettings = {
      host: collect(S.devoHost, env, problems) as string,
      port: collect(S.devoPort, env, problems) as number,
      tls: collect(S.devoTls, env, problems),
      compression: collect(S.devoCompression, env, problems),
      maxEventBytes: collect(S.devoMaxEventBytes, env, problems),
    };
    const level = collect(S.devoTlsSecurityLevel, env, problems);
    if (level !== undefined) settings.tlsSecurityLevel = level;
    if (settings.tls) Object.assign(settings, readDevoCredentials(env, problems));
    if (settings.tls === false && settings.host !== undefined && isDevoCloudHost(settings.host)) {
      problems.push({
        errorId: S.devoTls.errorId,
        setting: S.devoTls.name,
        problem: `is false, but DEVO_HOST ${settings.host} is a Devo cloud collector, which accepts only mutual TLS; plain TCP is only for an in-house relay.`,
        fix: 'set DEVO_TLS=true with DEVO_CERT, DEVO_KEY and DEVO_CHAIN (or DEVO_PFX and DEVO_CHAIN), or set DEVO_HOST to your in-house relay.',
      });
    }
    return settings;
  });
}

/**
 * Domains of Devo's public collectors. The regional endpoints are `collector-us|eu|ca|ap.devo.io` (plus
 * `collector-ap2.devo.io`), older integrations still use `<region>.elb.relay.logtrust.net`, and each Devo domain
 * lists its own ELBs (see /work/shared/reference/devo-ingestion.md, section 1 "Endpoints"). All of them take
 * only mutual TLS; the in-house relay is the only plain-TCP receiver (same reference, section 7).
 */
const DEVO_CLOUD_DOMAINS = ['devo.io', 'devo.com', 'logtrust.net'] as const;

/** True for a host in one of Devo's own domains (any case, with or without a trailing dot). */
export function isDevoCloudHost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return DEVO_CLOUD_DOMAINS.some((domain) => name === domain || name.endsWith(`.${domain}`));
}

/** Reads and cross-checks the client credential and the chain, so a bad upload fails here and not at 2 a.m. */
function readDevoCredentials(env: Env, problems: SettingProblem[]): Partial<DevoSettings> {
  const problem = (spec: SettingSpec<unknown>, text: string, fix: string): void => {
    problems.push({ errorId: spec.errorId, setting: spec.name, problem: text, fix });
  };
  const pem = (spec: typeof S.devoCert, alternative: string): string | undefined => {
    const raw = collect(spec, env, problems);
    if (raw === undefined) {
      if (rawValue(env, spec.name) === undefined)
        problems.push(missing(spec, `${spec.fix}${alternative} Or set DEVO_TLS=false for a plain-TCP in-house relay.`));
      return undefined;
    }
    return normalizePem(raw);
  };
  const readChain = (): string | undefined => {
    const chain = pem(S.devoChain, '');
    if (chain !== undefined) certificatesOrProblem(chain, S.devoChain, problem);
    return chain;
  };
  const passphraseSet = rawValue(env, S.devoPfxPassphrase.name) !== undefined;
  if (rawValue(env, S.devoPfx.name) === undefined) {
    if (passphraseSet) {
      problem(
        S.devoPfxPassphrase,
        'is set but DEVO_PFX is not.',
        'set DEVO_PFX to the base64 PKCS#12 bundle, or remove DEVO_PFX_PASSPHRASE when using DEVO_CERT and DEVO_KEY.',
      );
    }
    const credentials = readDevoPem(pem, problem);
    return { ...credentials, chain: readChain() };
  }
  const both = [S.devoCert, S.devoKey].filter((spec) => rawValue(env, spec.name) !== undefined);
  if (both.length > 0) {
    problem(
      S.devoPfx,
      `is set together with ${both.map((spec) => spec.name).join(' and ')}: the client credential must come one way only.`,
      'to use the PKCS#12 bundle remove DEVO_CERT and DEVO_KEY; to use the PEM files remove DEVO_PFX and DEVO_PFX_PASSPHRASE.',
    );
  }
  const pfx = collect(S.devoPfx, env, problems);
  const pfxPassphrase = collect(S.devoPfxPassphrase, env, problems);
  const chain = readChain();
  if (pfx === undefined || (passphraseSet && pfxPassphrase === undefined)) return { chain };
  const opened = openPkcs12(decodePfx(pfx), pfxPassphrase);
  const trouble = 'problem' in opened ? opened.problem : undefined;
  const leaf = 'certificate' in opened ? opened.certificate : undefined;
  if (leaf !== undefined && Date.parse(leaf.validTo) < Date.now()) {
    problem(
      S.devoPfx,
      `the certificate in the bundle expired on ${leaf.validTo}.`,
      'download a current certificate from Devo.',
    );
  }
  if (trouble === 'passphrase') {
    problem(
      S.devoPfxPassphrase,
      pfxPassphrase === undefined
        ? 'is not set, but DEVO_PFX is protected by a passphrase (its integrity check failed).'
        : 'does not open DEVO_PFX (its integrity check failed: wrong passphrase).',
      S.devoPfxPassphrase.fix,
    );
  } else if (trouble === 'format') {
    problem(
      S.devoPfx,
      'is base64 text, but not of a PKCS#12 bundle Node can read (a bundle encrypted with RC2 by older tools must be converted, see README).',
      S.devoPfx.fix,
    );
  }
  return { pfx, ...(pfxPassphrase === undefined ? {} : { pfxPassphrase }), chain };
}

/** The PEM certificate and its key: both present, readable, current and belonging together. */
function readDevoPem(
  pem: (spec: typeof S.devoCert, alternative: string) => string | undefined,
  problem: (spec: SettingSpec<unknown>, text: string, fix: string) => void,
): Pick<DevoSettings, 'cert' | 'key'> {
  const cert = pem(S.devoCert, ' Or set DEVO_PFX to a PKCS#12 bundle.');
  const key = pem(S.devoKey, ' Or set DEVO_PFX to a PKCS#12 bundle.');
  const [leaf] = cert === undefined ? [] : certificatesOrProblem(cert, S.devoCert, problem);
  if (leaf !== undefined && Date.parse(leaf.validTo) < Date.now()) {
    problem(S.devoCert, `the certificate expired on ${leaf.validTo}.`, 'download a current certificate from Devo.');
  }
  if (key !== undefined) {
    try {
      const keyObject = parsePrivateKey(key);
      if (leaf !== undefined && !leaf.checkPrivateKey(keyObject)) {
        problem(
          S.devoKey,
          'is not the private key of DEVO_CERT.',
          'upload the key that was downloaded with the certificate.',
        );
      }
    } catch {
      const encrypted = /ENCRYPTED/.test(key);
      problem(
        S.devoKey,
        encrypted ? 'is an encrypted private key.' : 'is not a PEM private key.',
        encrypted ? 'export the key without a passphrase (openssl pkey -in key.pem -out plain.pem).' : S.devoKey.fix,
      );
    }
  }
  return { cert, key };
}

function certificatesOrProblem(
  text: string,
  spec: typeof S.devoCert,
  problem: (spec: SettingSpec<unknown>, text: string, fix: string) => void,
): ReturnType<typeof parseCertificates> {
  try {
    const certs = parseCertificates(text);
    if (certs.length > 0) return certs;
    problem(spec, 'contains no PEM certificate (-----BEGIN CERTIFICATE-----).', spec.fix);
  } catch {
    problem(spec, 'contains a damaged PEM certificate.', spec.fix);
  }
  return [];
}

export function readDedupeSettings(env: Env): DedupeSettings {
  return readAll((problems) => {
    const capacity = collect(S.bloomFilterSize, env, problems) as number;
    const bufferSize = collect(S.bloomFilterBufferSize, env, problems) as number;
    const errorRate = collect(S.bloomFilterErrorRate, env, problems);
    const megabytes = capacity !== undefined && errorRate !== undefined ? filterMegabytes(capacity, errorRate) : 0;
    if (megabytes > MAX_FILTER_MEGABYTES) {
      problems.push({
        errorId: S.bloomFilterSize.errorId,
        setting: S.bloomFilterSize.name,
        problem: `${capacity} records at BLOOM_FILTER_ERROR_RATE ${errorRate} need ${Math.round(megabytes)} MB per filter (limit ${MAX_FILTER_MEGABYTES} MB).`,
        fix: 'lower BLOOM_FILTER_SIZE or raise BLOOM_FILTER_ERROR_RATE.',
      });
    }
    return { capacity, bufferSize, errorRate };
  });
}

/**
 * Largest generation: a running collector holds two (current and previous), and each is one Put Blob when sealed,
 * well inside the 256 MiB a single Put Blob may carry.
 */
export const MAX_FILTER_MEGABYTES = 256;

/** Size of an optimal Bloom filter: n·ln(1/p)/ln(2)² bits. */
export function filterMegabytes(capacity: number, errorRate: number): number {
  return (capacity * Math.log(1 / errorRate)) / Math.LN2 ** 2 / 8 / 1e6;
}

export function readStorageSettings(env: Env): StorageSettings {
  return readAll((problems) => {
    const tableName = collect(S.stateTableName, env, problems) as string;
    const containerName = collect(S.stateContainerName, env, problems) as string;
    const connectionString = collect(S.storageConnectionString, env, problems);
    if (connectionString !== undefined) {
      const problem = connectionStringProblem(connectionString);
      if (problem !== undefined)
        problems.push({
          errorId: S.storageConnectionString.errorId,
          setting: S.storageConnectionString.name,
          problem,
          fix: S.storageConnectionString.fix,
        });
      return { kind: 'connectionString', connectionString, tableName, containerName };
    }
    const accountName = collect(S.storageAccountName, env, problems);
    const blobServiceUri = collect(S.storageBlobServiceUri, env, problems) ?? accountUri(accountName, 'blob');
    const tableServiceUri = collect(S.storageTableServiceUri, env, problems) ?? accountUri(accountName, 'table');
    collect(S.storageCredential, env, problems);
    const clientId = collect(S.storageClientId, env, problems);
    if (blobServiceUri === undefined || tableServiceUri === undefined) {
      if (problems.length === 0) problems.push(missing(S.storageConnectionString, S.storageConnectionString.fix));
      return undefined as never;
    }
    return {
      kind: 'identity',
      blobServiceUri,
      tableServiceUri,
      tableName,
      containerName,
      ...(clientId === undefined ? {} : { clientId }),
    };
  });
}

function accountUri(accountName: string | undefined, service: 'blob' | 'table'): string | undefined {
  return accountName === undefined ? undefined : `https://${accountName}.${service}.core.windows.net`;
}

/** Checks the shape of a storage connection string without ever quoting it (it holds the account key). */
export function connectionStringProblem(value: string): string | undefined {
  const pairs = new Map<string, string>();
  for (const part of value.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return 'is not a connection string of Key=Value pairs separated by semicolons.';
    pairs.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  if (pairs.get('usedevelopmentstorage')?.toLowerCase() === 'true') return undefined;
  if (pairs.has('accountname') && pairs.has('accountkey')) return undefined;
  if (pairs.has('sharedaccesssignature') && pairs.has('blobendpoint') && pairs.has('tableendpoint')) return undefined;
  return 'has neither AccountName and AccountKey, nor a SharedAccessSignature with BlobEndpoint and TableEndpoint.';
}
