import type { Cloud } from './clouds.ts';
import { ConfigError, type SettingProblem } from './errors.ts';
import { readDevoCredentials } from './devo-credentials.ts';
import { normalizePem, parseCertificates, parsePrivateKey } from './pem.ts';
import * as S from './schema/index.ts';
import type { DedupeSettings, DevoSettings, StorageSettings } from './settings-types.ts';
import { collect, missing, rawValue, type Env } from './spec.ts';
import { blockedSize } from '../dedupe/sizing.ts';

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

export function readO365Settings(env: Env): O365Settings {
  return readAll((problems) => {
    const tenantId = collect(S.tenantId, env, problems);
    const clientId = collect(S.clientId, env, problems);
    const clientSecret = collect(S.clientSecret, env, problems);
    const clientCertificate = readClientCertificate(env, problems);
    const cloud = collect(S.cloud, env, problems);
    const authorityHost = collect(S.authorityHost, env, problems);
    for (const spec of [S.tenantId, S.clientId]) {
      if (rawValue(env, spec) === undefined) problems.push(missing(spec, spec.fix));
    }
    if (rawValue(env, S.clientSecret) === undefined && rawValue(env, S.clientCertificate) === undefined) {
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
        problem: `${capacity} records at BLOOM_FILTER_ERROR_RATE ${errorRate} need ${needed(megabytes)} per filter (limit ${MAX_FILTER_MEGABYTES} MB).`,
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

/** What a refused filter would need, for the message. */
const needed = (megabytes: number): string =>
  Number.isFinite(megabytes) ? `${Math.round(megabytes)} MB` : 'more than the largest array supported';

/**
 * Size of one filter generation as the dedupe code will build it (blocked layout), in MB; infinite when no size the
 * sizing search looks at meets the rate.
 */
export function filterMegabytes(capacity: number, errorRate: number): number {
  return blockedSize(capacity, errorRate).bits / 8 / 1e6;
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
