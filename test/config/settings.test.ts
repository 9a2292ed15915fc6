import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  ALL_SETTINGS,
  isConfigError,
  maskIdentifier,
  readDedupeSettings,
  readDevoSettings,
  readO365Settings,
  readStorageSettings,
  readManagementConfig,
  readMessageTraceConfig,
  readLogLevel,
  parseNcrontab,
  settings,
  type Env,
} from '../../shared/config/index.ts';
import { isDevoCloudHost, readAll } from '../../shared/config/readers.ts';
import { collect, type SettingSpec } from '../../shared/config/spec.ts';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const CERT = fixture('client.crt');
const KEY = fixture('client.key');
const TENANT = '2f0b1f2e-9a61-4d3b-8a0e-5d1c3b7a9e10';
const CLIENT = '7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';

const O365: Env = { O365_TENANT_ID: TENANT, O365_CLIENT_ID: CLIENT, O365_CLIENT_SECRET: 's3cr3t-value' };
const DEVO_TLS: Env = { DEVO_CERT: CERT, DEVO_KEY: KEY, DEVO_CHAIN: CERT };
const testCert = (name: string): Buffer => readFileSync(new URL(`../support/certs/${name}`, import.meta.url));
/** The client certificate and key as a PKCS#12 bundle, base64 as Key Vault holds it (make-certs.sh). */
const PFX = testCert('client.p12').toString('base64');
const PFX_PASSPHRASE = 'test-passphrase';
const DEVO_PFX: Env = { DEVO_PFX: PFX, DEVO_PFX_PASSPHRASE: PFX_PASSPHRASE, DEVO_CHAIN: testCert('ca.pem').toString() };
const STORAGE: Env = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

type Reader = (env: Env) => unknown;

/** Reads and expects a ConfigError; returns it for further checks. */
function expectProblem(read: Reader, env: Env, errorId: number, setting: string, message: RegExp) {
  try {
    read(env);
  } catch (err) {
    assert.ok(isConfigError(err), `expected a ConfigError, got ${String(err)}`);
    const problem = err.problems.find((p) => p.setting === setting);
    assert.ok(problem, `no problem reported for ${setting}: ${err.message}`);
    assert.equal(problem.errorId, errorId);
    assert.match(err.message, new RegExp(`InitVariablesError ${errorId}: ${setting}: `));
    assert.match(err.message, message);
    assert.match(err.message, /Fix: \S/);
    return err;
  }
  assert.fail(`expected InitVariablesError ${errorId} for ${setting}`);
}

interface Case {
  setting: string;
  read: Reader;
  base: Env;
  /** The value read with the setting unset (after `base`), and the path to it in the reader's result. */
  defaultOf: (result: never) => unknown;
  defaultValue: unknown;
  bad: string | undefined;
  errorId: number;
  message: RegExp;
}

const identity: Env = { AzureWebJobsStorage__accountName: 'stateacct' };
const MANAGEMENT: Env = { ...O365, ...DEVO_TLS, ...STORAGE };
/** Reads one setting on its own, the way the collectors' readers do. */
const readOne = (spec: SettingSpec<unknown>) => (env: Env) => readAll((problems) => collect(spec, env, problems));
const scheduleCase = (setting: string, errorId: number, defaultValue: string): Case => ({
  setting,
  read: readOne(
    settings[
      Object.keys(settings).find(
        (k) => (settings as Record<string, { name?: string }>)[k]?.name === setting,
      ) as keyof typeof settings
    ] as SettingSpec<unknown>,
  ),
  base: {},
  defaultOf: (r: string) => r,
  defaultValue,
  bad: '*/5 * * * *',
  errorId,
  message: /has 5 fields; NCRONTAB needs 6/,
});

const CASES: Case[] = [
  {
    setting: 'AzureWebJobsStorage',
    read: readStorageSettings,
    base: STORAGE,
    defaultOf: (r: { kind: string }) => r.kind,
    defaultValue: 'connectionString',
    bad: 'AccountName=x',
    errorId: 10,
    message: /neither AccountName and AccountKey/,
  },
  {
    setting: 'AzureWebJobsStorage__accountName',
    read: readStorageSettings,
    base: identity,
    defaultOf: (r: { blobServiceUri: string }) => r.blobServiceUri,
    defaultValue: 'https://stateacct.blob.core.windows.net',
    bad: 'https://stateacct.blob.core.windows.net',
    errorId: 11,
    message: /not a storage account name/,
  },
  {
    setting: 'AzureWebJobsStorage__blobServiceUri',
    read: readStorageSettings,
    base: identity,
    defaultOf: (r: { blobServiceUri: string }) => r.blobServiceUri,
    defaultValue: 'https://stateacct.blob.core.windows.net',
    bad: 'http://stateacct.blob.core.usgovcloudapi.net',
    errorId: 12,
    message: /not an https origin/,
  },
  {
    setting: 'AzureWebJobsStorage__tableServiceUri',
    read: readStorageSettings,
    base: identity,
    defaultOf: (r: { tableServiceUri: string }) => r.tableServiceUri,
    defaultValue: 'https://stateacct.table.core.windows.net',
    bad: 'stateacct.table.core.windows.net',
    errorId: 13,
    message: /not an https origin/,
  },
  {
    setting: 'AzureWebJobsStorage__credential',
    read: readStorageSettings,
    base: identity,
    defaultOf: (r: { kind: string }) => r.kind,
    defaultValue: 'identity',
    bad: 'connectionstring',
    errorId: 14,
    message: /not one of managedidentity/,
  },
  {
    setting: 'AzureWebJobsStorage__clientId',
    read: readStorageSettings,
    base: identity,
    defaultOf: (r: { clientId?: string }) => r.clientId,
    defaultValue: undefined,
    bad: 'my-identity',
    errorId: 15,
    message: /not a GUID/,
  },
  {
    setting: 'STATE_TABLE_NAME',
    read: readStorageSettings,
    base: STORAGE,
    defaultOf: (r: { tableName: string }) => r.tableName,
    defaultValue: 'o365devostate',
    bad: 'o365-state',
    errorId: 16,
    message: /not a valid table name/,
  },
  {
    setting: 'STATE_CONTAINER_NAME',
    read: readStorageSettings,
    base: STORAGE,
    defaultOf: (r: { containerName: string }) => r.containerName,
    defaultValue: 'o365devo-state',
    bad: 'State_Container',
    errorId: 17,
    message: /not a valid container name/,
  },
  {
    setting: 'O365_TENANT_ID',
    read: readO365Settings,
    base: O365,
    defaultOf: (r: { tenantId: string }) => r.tenantId,
    defaultValue: TENANT,
    bad: 'contoso.onmicrosoft.com',
    errorId: 20,
    message: /"contoso.onmicrosoft.com" is not a GUID/,
  },
  {
    setting: 'O365_CLIENT_ID',
    read: readO365Settings,
    base: O365,
    defaultOf: (r: { clientId: string }) => r.clientId,
    defaultValue: CLIENT,
    bad: '1234',
    errorId: 21,
    message: /"1234" is not a GUID/,
  },
  {
    setting: 'O365_CLIENT_SECRET',
    read: readO365Settings,
    base: O365,
    defaultOf: (r: { clientSecret: string }) => r.clientSecret,
    defaultValue: 's3cr3t-value',
    bad: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/o365)',
    errorId: 22,
    message: /Key Vault reference the platform could not resolve.*Secrets User/,
  },
  {
    setting: 'O365_CLOUD',
    read: readO365Settings,
    base: O365,
    defaultOf: (r: { cloud: string }) => r.cloud,
    defaultValue: 'commercial',
    bad: 'azure-china',
    errorId: 23,
    message: /not one of commercial, gcc, gcchigh, dod/,
  },
  {
    setting: 'O365_AUTHORITY_HOST',
    read: readO365Settings,
    base: O365,
    defaultOf: (r: { authorityHost: string }) => r.authorityHost,
    defaultValue: 'https://login.microsoftonline.com',
    bad: 'http://login.microsoftonline.com',
    errorId: 24,
    message: /not an https origin/,
  },
  {
    setting: 'DEVO_HOST',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { host: string }) => r.host,
    defaultValue: 'collector-us.devo.io',
    bad: 'https://collector-eu.devo.io',
    errorId: 30,
    message: /not a host name/,
  },
  {
    setting: 'DEVO_PORT',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { port: number }) => r.port,
    defaultValue: 443,
    bad: '70000',
    errorId: 31,
    message: /70000 is out of range 1\.\.65535/,
  },
  {
    setting: 'DEVO_TLS',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { tls: boolean }) => r.tls,
    defaultValue: true,
    bad: 'maybe',
    errorId: 32,
    message: /"maybe" is not true or false/,
  },
  {
    setting: 'DEVO_CERT',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { cert: string }) => r.cert,
    defaultValue: CERT,
    bad: 'not a certificate',
    errorId: 33,
    message: /contains no PEM certificate/,
  },
  {
    setting: 'DEVO_KEY',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { key: string }) => r.key,
    defaultValue: KEY,
    bad: fixture('other.key'),
    errorId: 34,
    message: /not the private key of DEVO_CERT/,
  },
  {
    setting: 'DEVO_CHAIN',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { chain: string }) => r.chain,
    defaultValue: CERT,
    bad: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
    errorId: 35,
    message: /damaged PEM certificate/,
  },
  {
    setting: 'DEVO_PFX',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { pfx?: string }) => r.pfx,
    defaultValue: undefined,
    bad: 'not base64!',
    errorId: 37,
    message: /DEVO_PFX: The value is not base64 text\. Fix: store the \.pfx base64-encoded/,
  },
  {
    setting: 'DEVO_PFX_PASSPHRASE',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { pfxPassphrase?: string }) => r.pfxPassphrase,
    defaultValue: undefined,
    bad: 'a passphrase',
    errorId: 38,
    message: /is set but DEVO_PFX is not\. Fix: set DEVO_PFX to the base64 PKCS#12 bundle/,
  },
  {
    setting: 'DEVO_TLS_SECURITY_LEVEL',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { tlsSecurityLevel?: number }) => r.tlsSecurityLevel,
    defaultValue: undefined,
    bad: '6',
    errorId: 39,
    message: /6 is out of range 0\.\.5\. Fix: leave it empty, or use 0 only if Devo refuses .* CA_MD_TOO_WEAK/,
  },
  {
    setting: 'DEVO_MAX_EVENT_BYTES',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { maxEventBytes?: number }) => r.maxEventBytes,
    defaultValue: 262_144,
    bad: '100',
    errorId: 43,
    message: /100 is out of range 1024\.\.16777216\. Fix: use a value from 1024 to 16777216/,
  },
  {
    setting: 'DEVO_COMPRESSION',
    read: readDevoSettings,
    base: DEVO_TLS,
    defaultOf: (r: { compression: string }) => r.compression,
    defaultValue: 'none',
    bad: 'zip',
    errorId: 36,
    message: /"zip" is not one of none, gzip/,
  },
  {
    setting: 'BLOOM_FILTER_SIZE',
    read: readDedupeSettings,
    base: {},
    defaultOf: (r: { capacity: number }) => r.capacity,
    defaultValue: 10_000_000,
    bad: 'ten million',
    errorId: 40,
    message: /"ten million" is not a whole number/,
  },
  {
    setting: 'BLOOM_FILTER_BUFFER_SIZE',
    read: readDedupeSettings,
    base: {},
    defaultOf: (r: { bufferSize: number }) => r.bufferSize,
    defaultValue: 100_000,
    bad: '20000000',
    errorId: 41,
    message: /20000000/,
  },
  {
    setting: 'BLOOM_FILTER_ERROR_RATE',
    read: readDedupeSettings,
    base: {},
    defaultOf: (r: { errorRate: number }) => r.errorRate,
    defaultValue: 0.000001,
    bad: '0',
    errorId: 42,
    message: /0 is out of range/,
  },
  {
    setting: 'O365_CLIENT_CERTIFICATE',
    read: readO365Settings,
    base: O365,
    defaultOf: (r: { clientCertificate?: string }) => r.clientCertificate,
    defaultValue: undefined,
    bad: CERT,
    errorId: 25,
    message: /does not hold a PEM certificate together with its unencrypted private key/,
  },
  scheduleCase('AUDIT_AZUREACTIVEDIRECTORY_SCHEDULE', 60, '0 */5 * * * *'),
  scheduleCase('AUDIT_EXCHANGE_SCHEDULE', 61, '0 */5 * * * *'),
  scheduleCase('AUDIT_SHAREPOINT_SCHEDULE', 62, '0 */5 * * * *'),
  scheduleCase('AUDIT_GENERAL_SCHEDULE', 63, '0 */5 * * * *'),
  scheduleCase('DLP_ALL_SCHEDULE', 64, '0 */5 * * * *'),
  scheduleCase('URI_RETRY_SCHEDULE', 65, '0 */15 * * * *'),
  {
    setting: 'MANAGEMENT_API_URL',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { apiUrl: string }) => r.apiUrl,
    defaultValue: 'https://manage.office.com',
    bad: 'manage.office.com',
    errorId: 50,
    message: /not an https origin/,
  },
  {
    setting: 'MANAGEMENT_API_RESOURCE',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { resource: string }) => r.resource,
    defaultValue: 'https://manage.office.com',
    bad: 'https://manage.office.com/api',
    errorId: 51,
    message: /not an https origin/,
  },
  {
    setting: 'MANAGEMENT_START_TIME',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { startTime?: string }) => r.startTime,
    defaultValue: undefined,
    bad: '2026/11/01 00:00',
    errorId: 1,
    message: /"2026\/11\/01 00:00" is not an ISO 8601 UTC time/,
  },
  {
    setting: 'MANAGEMENT_FETCH_CONCURRENCY',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { fetchConcurrency: number }) => r.fetchConcurrency,
    defaultValue: 8,
    bad: '0',
    errorId: 52,
    message: /0 is out of range 1\.\.64/,
  },
  {
    setting: 'MANAGEMENT_RELIST_SECONDS',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { relistMs: number }) => r.relistMs,
    defaultValue: 900_000,
    bad: '43201',
    errorId: 56,
    message: /43201 is out of range 0\.\.43200/,
  },
  {
    setting: 'REQUESTS_PER_SECOND',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { http: { requestsPerSecond?: number } }) => r.http.requestsPerSecond,
    defaultValue: undefined,
    bad: '-1',
    errorId: 53,
    message: /-1 is out of range 1\.\.1000/,
  },
  {
    setting: 'OBFUSCATE_FIELDS',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { obfuscation?: unknown }) => r.obfuscation,
    defaultValue: undefined,
    bad: 'UserId,,ClientIP',
    errorId: 54,
    message: /not a comma-separated list/,
  },
  {
    setting: 'OBFUSCATION_KEY',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: () => undefined,
    defaultValue: undefined,
    bad: 'short',
    errorId: 55,
    message: /shorter than 16 characters/,
  },
  {
    setting: 'AzureFunctionsJobHost__functionTimeout',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { functionTimeoutMs: number }) => r.functionTimeoutMs,
    defaultValue: 1_800_000,
    bad: '30m',
    errorId: 74,
    message: /"30m" is not a time span/,
  },
  {
    setting: 'HTTP_TIMEOUT_SECONDS',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { http: { timeoutMs: number } }) => r.http.timeoutMs,
    defaultValue: 60_000,
    bad: '0',
    errorId: 70,
    message: /out of range 1\.\.600/,
  },
  {
    setting: 'HTTP_RETRIES',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { http: { retries: number } }) => r.http.retries,
    defaultValue: 5,
    bad: '21',
    errorId: 71,
    message: /21 is out of range 0\.\.20/,
  },
  {
    setting: 'HTTP_RETRY_WAIT_SECONDS',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { http: { retryWaitMs: number } }) => r.http.retryWaitMs,
    defaultValue: 2000,
    bad: 'two',
    errorId: 72,
    message: /"two" is not a whole number/,
  },
  {
    setting: 'HTTP_MAX_RETRY_WAIT_SECONDS',
    read: readManagementConfig,
    base: MANAGEMENT,
    defaultOf: (r: { http: { maxRetryWaitMs: number } }) => r.http.maxRetryWaitMs,
    defaultValue: 300_000,
    bad: '0',
    errorId: 73,
    message: /0 is out of range 1\.\.3600/,
  },
  {
    setting: 'LOG_LEVEL',
    read: readLogLevel,
    base: {},
    defaultOf: (r: string) => r,
    defaultValue: 'info',
    bad: 'verbose',
    errorId: 75,
    message: /"verbose" is not one of info, debug/,
  },
  scheduleCase('MESSAGE_TRACE_SCHEDULE', 66, '0 */10 * * * *'),
  {
    setting: 'MESSAGE_TRACE_API',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { api: string }) => r.api,
    defaultValue: 'graph',
    bad: 'ews',
    errorId: 80,
    message: /"ews" is not one of graph, rws/,
  },
  {
    setting: 'MESSAGE_TRACE_URL',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { url: string }) => r.url,
    defaultValue: 'https://graph.microsoft.com',
    bad: 'graph.microsoft.com',
    errorId: 81,
    message: /not an https origin/,
  },
  {
    setting: 'MESSAGE_TRACE_RESOURCE',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { resource: string }) => r.resource,
    defaultValue: 'https://graph.microsoft.com',
    bad: 'https://graph.microsoft.com/.default',
    errorId: 82,
    message: /not an https origin/,
  },
  {
    setting: 'MESSAGE_TRACE_DELAY_SECONDS',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { delayMs: number }) => r.delayMs,
    defaultValue: 90_000_000,
    bad: '172801',
    errorId: 83,
    message: /172801 is out of range 1\.\.172800/,
  },
  {
    setting: 'MESSAGE_TRACE_DAYS_BACK',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { daysBack: number }) => r.daysBack,
    defaultValue: 10,
    bad: '0',
    errorId: 84,
    message: /0 is out of range 1\.\.1000000/,
  },
  {
    setting: 'MESSAGE_TRACE_MARGIN_SECONDS',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { marginMs: number }) => r.marginMs,
    defaultValue: 60_000,
    bad: '-5',
    errorId: 85,
    message: /-5 is out of range 0\.\.86400/,
  },
  {
    setting: 'MESSAGE_TRACE_RESET',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { reset?: string }) => r.reset,
    defaultValue: undefined,
    bad: '22/11/2026',
    errorId: 86,
    message: /"22\/11\/2026" is not a date like 2026-11-22/,
  },
  {
    setting: 'MESSAGE_TRACE_OUTPUT_FORMAT',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { outputFormat: string }) => r.outputFormat,
    defaultValue: 'legacy',
    bad: 'csv',
    errorId: 87,
    message: /"csv" is not one of legacy, graph/,
  },
  {
    setting: 'MESSAGE_TRACE_ORGANIZATION',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { organization: string }) => r.organization,
    defaultValue: TENANT,
    bad: 'contoso onmicrosoft',
    errorId: 88,
    message: /not a domain name/,
  },
  {
    setting: 'MESSAGE_TRACE_REQUESTS_PER_5_MINUTES',
    read: readMessageTraceConfig,
    base: MANAGEMENT,
    defaultOf: (r: { requestsPer5Minutes: number }) => r.requestsPer5Minutes,
    defaultValue: 90,
    bad: '101',
    errorId: 89,
    message: /101 is out of range 1\.\.100/,
  },
];

describe('settings: every setting has a default test and a bad-value test', () => {
  it('covers every setting of the schema', () => {
    assert.deepEqual(CASES.map((c) => c.setting).sort(), ALL_SETTINGS.map((s) => s.name).sort());
  });

  for (const c of CASES) {
    it(`${c.setting}: default`, () => {
      const result = c.read({ ...c.base }) as never;
      assert.deepEqual(c.defaultOf(result), c.defaultValue);
    });
    it(`${c.setting}: a bad value gives InitVariablesError ${c.errorId}`, () => {
      expectProblem(c.read, { ...c.base, [c.setting]: c.bad }, c.errorId, c.setting, c.message);
    });
  }
});

describe('settings: required values and cross-checks', () => {
  it('names every missing O365 credential at once', () => {
    const err = expectProblem(readO365Settings, {}, 20, 'O365_TENANT_ID', /is not set/);
    assert.deepEqual(
      err.problems.map((p) => p.errorId),
      [20, 21, 22],
    );
  });

  it('requires storage in one of its two forms', () => {
    expectProblem(readStorageSettings, {}, 10, 'AzureWebJobsStorage', /is not set.*AzureWebJobsStorage__accountName/);
  });

  it('uses the sovereign endpoints when given', () => {
    const s = readStorageSettings({
      AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.usgovcloudapi.net/',
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.usgovcloudapi.net',
      AzureWebJobsStorage__clientId: CLIENT,
    });
    assert.deepEqual(s, {
      kind: 'identity',
      blobServiceUri: 'https://acct.blob.core.usgovcloudapi.net',
      tableServiceUri: 'https://acct.table.core.usgovcloudapi.net',
      clientId: CLIENT,
      tableName: 'o365devostate',
      containerName: 'o365devo-state',
    });
  });

  it('picks the US Government authority for gcchigh and dod', () => {
    for (const cloud of ['gcchigh', 'dod']) {
      assert.equal(readO365Settings({ ...O365, O365_CLOUD: cloud }).authorityHost, 'https://login.microsoftonline.us');
    }
    assert.equal(readO365Settings({ ...O365, O365_CLOUD: 'GCC' }).authorityHost, 'https://login.microsoftonline.com');
  });

  it('accepts a loopback authority with a port', () => {
    assert.equal(
      readO365Settings({ ...O365, O365_AUTHORITY_HOST: 'https://127.0.0.1:8443' }).authorityHost,
      'https://127.0.0.1:8443',
    );
  });

  it('requires the certificate, key and chain with TLS, and not without', () => {
    const err = expectProblem(readDevoSettings, {}, 33, 'DEVO_CERT', /is not set.*DEVO_TLS=false/);
    assert.deepEqual(
      err.problems.map((p) => p.setting),
      ['DEVO_CERT', 'DEVO_KEY', 'DEVO_CHAIN'],
    );
    assert.deepEqual(readDevoSettings({ DEVO_TLS: 'false', DEVO_HOST: 'relay.corp.example', DEVO_PORT: '13000' }), {
      host: 'relay.corp.example',
      port: 13000,
      tls: false,
      compression: 'none',
      maxEventBytes: 262_144,
    });
  });

  it('takes a PKCS#12 bundle with its passphrase instead of the PEM certificate and key', () => {
    const devo = readDevoSettings(DEVO_PFX);
    assert.equal(devo.pfx, PFX);
    assert.equal(devo.pfxPassphrase, PFX_PASSPHRASE);
    assert.equal(devo.cert, undefined);
    assert.equal(devo.key, undefined);
  });

  it('uses the passphrase exactly as set: spaces at its ends are part of it', () => {
    const spaced = { ...DEVO_PFX, DEVO_PFX: testCert('client-spaced.p12').toString('base64') };
    const devo = readDevoSettings({ ...spaced, DEVO_PFX_PASSPHRASE: ' spaced passphrase ' });
    assert.equal(devo.pfxPassphrase, ' spaced passphrase ');
    expectProblem(
      readDevoSettings,
      { ...spaced, DEVO_PFX_PASSPHRASE: 'spaced passphrase' },
      38,
      'DEVO_PFX_PASSPHRASE',
      /does not open DEVO_PFX.*wrong passphrase/,
    );
  });

  it('refuses a PKCS#12 bundle together with the PEM certificate and key', () => {
    const err = expectProblem(
      readDevoSettings,
      { ...DEVO_PFX, DEVO_CERT: CERT, DEVO_KEY: KEY },
      37,
      'DEVO_PFX',
      /is set together with DEVO_CERT and DEVO_KEY.*Fix: to use the PKCS#12 bundle remove DEVO_CERT and DEVO_KEY/,
    );
    assert.doesNotMatch(err.message, new RegExp(PFX.slice(0, 40).replace(/[+/]/g, '\\$&')));
  });

  it('still requires the chain with a PKCS#12 bundle', () => {
    expectProblem(readDevoSettings, { ...DEVO_PFX, DEVO_CHAIN: undefined }, 35, 'DEVO_CHAIN', /is not set/);
  });

  it('says the passphrase is wrong, without echoing it or the bundle', () => {
    const err = expectProblem(
      readDevoSettings,
      { ...DEVO_PFX, DEVO_PFX_PASSPHRASE: 'wrong-guess' },
      38,
      'DEVO_PFX_PASSPHRASE',
      /does not open DEVO_PFX.*wrong passphrase.*Fix: set the passphrase the \.pfx was exported with/,
    );
    assert.doesNotMatch(err.message, /wrong-guess|test-passphrase/);
    const unset = expectProblem(
      readDevoSettings,
      { ...DEVO_PFX, DEVO_PFX_PASSPHRASE: undefined },
      38,
      'DEVO_PFX_PASSPHRASE',
      /is not set, but DEVO_PFX is protected by a passphrase/,
    );
    assert.equal(unset.problems.length, 1);
  });

  it('refuses a bundle whose certificate expired, as it does a PEM certificate', () => {
    expectProblem(
      readDevoSettings,
      { ...DEVO_PFX, DEVO_PFX: testCert('expired.p12').toString('base64') },
      37,
      'DEVO_PFX',
      /the certificate in the bundle expired on Jan {2}1 00:00:00 2001 GMT\. Fix: download a current certificate/,
    );
  });

  it('says when DEVO_PFX is base64 of something other than a PKCS#12 bundle', () => {
    expectProblem(
      readDevoSettings,
      { ...DEVO_PFX, DEVO_PFX: Buffer.from(CERT).toString('base64') },
      37,
      'DEVO_PFX',
      /not of a PKCS#12 bundle Node can read.*Fix: store the \.pfx base64-encoded/,
    );
  });

  it('explains an encrypted private key', () => {
    expectProblem(
      readDevoSettings,
      { ...DEVO_TLS, DEVO_KEY: fixture('encrypted.key') },
      34,
      'DEVO_KEY',
      /encrypted private key.*without a passphrase/,
    );
  });

  it('restores PEM text pasted with \\n escapes or flattened to one line', () => {
    const escaped = readDevoSettings({ ...DEVO_TLS, DEVO_CERT: CERT.trim().replace(/\n/g, '\\n') });
    assert.equal(escaped.cert, CERT);
    const flattened = readDevoSettings({ ...DEVO_TLS, DEVO_KEY: KEY.trim().replace(/\n/g, ' ') });
    assert.ok(flattened.key?.startsWith('-----BEGIN PRIVATE KEY-----\n'));
  });

  it('refuses a filter that would not fit in memory', () => {
    expectProblem(
      readDedupeSettings,
      { BLOOM_FILTER_SIZE: '100000000', BLOOM_FILTER_ERROR_RATE: '1e-9' },
      40,
      'BLOOM_FILTER_SIZE',
      /need \d+ MB per filter/,
    );
    // A rate no size meets is refused at once, with what it would take.
    expectProblem(
      readDedupeSettings,
      { BLOOM_FILTER_SIZE: '10000000', BLOOM_FILTER_ERROR_RATE: '1e-40' },
      40,
      'BLOOM_FILTER_SIZE',
      /need (\d+ MB|more than the largest array supported) per filter/,
    );
  });

  it('never echoes a secret value', () => {
    const secret = 'AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;Foo';
    const err = expectProblem(
      readStorageSettings,
      { AzureWebJobsStorage: `${secret};broken` },
      10,
      'AzureWebJobsStorage',
      /Key=Value pairs/,
    );
    assert.ok(!err.message.includes('c2VjcmV0LWtleQ'));
    const keyErr = expectProblem(
      readDevoSettings,
      { ...DEVO_TLS, DEVO_KEY: 'MIIEvQIBADANBgkq-secret-material' },
      34,
      'DEVO_KEY',
      /not a PEM private key/,
    );
    assert.ok(!keyErr.message.includes('secret-material'));
  });

  it('treats an empty app setting as unset', () => {
    assert.equal(readDevoSettings({ ...DEVO_TLS, DEVO_PORT: '  ' }).port, 443);
  });
});

describe('settings: management', () => {
  it('requires OBFUSCATION_KEY with OBFUSCATE_FIELDS and splits the list', () => {
    expectProblem(
      readManagementConfig,
      { ...MANAGEMENT, OBFUSCATE_FIELDS: 'UserId' },
      55,
      'OBFUSCATION_KEY',
      /is not set although OBFUSCATE_FIELDS is/,
    );
    const config = readManagementConfig({
      ...MANAGEMENT,
      OBFUSCATE_FIELDS: 'UserId, ClientIP',
      OBFUSCATION_KEY: 'k'.repeat(16),
    });
    assert.deepEqual(config.obfuscation, { fields: ['UserId', 'ClientIP'], key: 'k'.repeat(16) });
  });

  it('picks the API host per cloud and lets the resource follow an overridden URL', () => {
    assert.equal(
      readManagementConfig({ ...MANAGEMENT, O365_CLOUD: 'dod' }).apiUrl,
      'https://manage.protection.apps.mil',
    );
    const local = readManagementConfig({ ...MANAGEMENT, MANAGEMENT_API_URL: 'https://127.0.0.1:9443' });
    assert.equal(local.resource, 'https://127.0.0.1:9443');
  });

  it('refuses a start time in the future and normalises a valid one', () => {
    expectProblem(
      readManagementConfig,
      { ...MANAGEMENT, MANAGEMENT_START_TIME: '2999-01-01T00:00:00Z' },
      1,
      'MANAGEMENT_START_TIME',
      /in the future/,
    );
    assert.equal(
      readManagementConfig({ ...MANAGEMENT, MANAGEMENT_START_TIME: '2026-11-01' }).startTime,
      '2026-11-01T00:00:00.000Z',
    );
  });

  it('accepts a client certificate with its key instead of a secret', () => {
    const { O365_CLIENT_SECRET: _secret, ...noSecret } = O365;
    const s = readO365Settings({ ...noSecret, O365_CLIENT_CERTIFICATE: `${CERT}${KEY}` });
    assert.match(s.clientCertificate ?? '', /BEGIN CERTIFICATE[\s\S]*BEGIN PRIVATE KEY/);
    assert.equal(s.clientSecret, undefined);
  });

  it('lists problems of every area in one error', () => {
    const err = expectProblem(
      readManagementConfig,
      { ...MANAGEMENT, DEVO_PORT: 'x', HTTP_RETRIES: 'y', MANAGEMENT_START_TIME: 'z' },
      31,
      'DEVO_PORT',
      /DEVO_PORT/,
    );
    assert.deepEqual(
      err.problems.map((p) => p.errorId).sort((a, b) => a - b),
      [1, 31, 71],
    );
  });

  it('parses NCRONTAB names, ranges and steps', () => {
    assert.doesNotThrow(() => parseNcrontab('0 0 8-18/2 * Jan-Mar Mon-Fri'));
    assert.throws(() => parseNcrontab('0 61 * * * *'), /"61" in the minute field/);
  });
});

describe('settings: message trace', () => {
  it('defaults to the Reporting Web Service in US Government clouds', () => {
    const gcchigh = readMessageTraceConfig({ ...MANAGEMENT, O365_CLOUD: 'gcchigh' });
    assert.deepEqual(
      [gcchigh.api, gcchigh.url, gcchigh.resource],
      ['rws', 'https://reports.office365.us', 'https://outlook.office365.us'],
    );
    const commercialRws = readMessageTraceConfig({ ...MANAGEMENT, MESSAGE_TRACE_API: 'rws' });
    assert.deepEqual(
      [commercialRws.url, commercialRws.resource],
      ['https://reports.office365.com', 'https://outlook.office365.com'],
    );
  });

  it('asks DoD tenants for the host, which has no documented default', () => {
    const err = expectProblem(
      readMessageTraceConfig,
      { ...MANAGEMENT, O365_CLOUD: 'dod' },
      81,
      'MESSAGE_TRACE_URL',
      /no known default for the rws back end/,
    );
    assert.deepEqual(
      err.problems.map((p) => p.setting),
      ['MESSAGE_TRACE_URL', 'MESSAGE_TRACE_RESOURCE'],
    );
  });
});

/** Expects exactly the cross-check problem and checks that it names every setting involved and the fix. */
function expectCrossCheck(read: Reader, env: Env, errorId: number, setting: string, names: string[], fix: RegExp) {
  const err = expectProblem(read, env, errorId, setting, fix);
  assert.equal(err.problems.length, 1, err.message);
  for (const name of names) assert.ok(err.message.includes(name), `${name} not named in: ${err.message}`);
  assert.match(err.message, /Fix: .*\S/);
  return err;
}

describe('settings: combinations that cannot work are refused at start', () => {
  const daysBackFix = /Fix: raise MESSAGE_TRACE_DAYS_BACK to at least \d+, or make MESSAGE_TRACE_DELAY_SECONDS plus/;
  const windowSettings = ['MESSAGE_TRACE_DAYS_BACK', 'MESSAGE_TRACE_DELAY_SECONDS', 'MESSAGE_TRACE_MARGIN_SECONDS'];

  it('MESSAGE_TRACE_DAYS_BACK=1 with the default 25 h delay leaves nothing to collect', () => {
    const err = expectCrossCheck(
      readMessageTraceConfig,
      { ...MANAGEMENT, MESSAGE_TRACE_DAYS_BACK: '1' },
      84,
      'MESSAGE_TRACE_DAYS_BACK',
      windowSettings,
      /1 day\(s\) back less MESSAGE_TRACE_MARGIN_SECONDS \(60\) is 86340 seconds, not more than MESSAGE_TRACE_DELAY_SECONDS \(90000\)/,
    );
    assert.match(err.message, /at least 2,.* less than 86400\./);
  });

  it('the margin counts against the days back', () => {
    // 2 days less a 1-day margin reach back 86400 s: not more than a 86400 s delay.
    expectCrossCheck(
      readMessageTraceConfig,
      {
        ...MANAGEMENT,
        MESSAGE_TRACE_DAYS_BACK: '2',
        MESSAGE_TRACE_DELAY_SECONDS: '86400',
        MESSAGE_TRACE_MARGIN_SECONDS: '86400',
      },
      84,
      'MESSAGE_TRACE_DAYS_BACK',
      windowSettings,
      daysBackFix,
    );
  });

  it('accepts the tightest window that still has a second to collect', () => {
    const env = { ...MANAGEMENT, MESSAGE_TRACE_DAYS_BACK: '1', MESSAGE_TRACE_MARGIN_SECONDS: '60' };
    const config = readMessageTraceConfig({ ...env, MESSAGE_TRACE_DELAY_SECONDS: '86339' });
    assert.equal(config.daysBack * 86_400_000 - config.marginMs - config.delayMs, 1000);
    expectCrossCheck(
      readMessageTraceConfig,
      { ...env, MESSAGE_TRACE_DELAY_SECONDS: '86340' },
      84,
      'MESSAGE_TRACE_DAYS_BACK',
      windowSettings,
      daysBackFix,
    );
    assert.equal(readMessageTraceConfig({ ...MANAGEMENT, MESSAGE_TRACE_DAYS_BACK: '2' }).daysBack, 2);
  });

  it('accepts any BLOOM_FILTER_BUFFER_SIZE in range: it is superseded by the two filter generations', () => {
    const env = { BLOOM_FILTER_SIZE: '60000000', BLOOM_FILTER_BUFFER_SIZE: '10000000' };
    assert.equal(readDedupeSettings(env).bufferSize, 10_000_000);
    assert.equal(readDedupeSettings({ BLOOM_FILTER_SIZE: '1000', BLOOM_FILTER_BUFFER_SIZE: '5000' }).capacity, 1000);
    for (const read of [readManagementConfig, readMessageTraceConfig]) {
      assert.equal(read({ ...MANAGEMENT, ...env }).dedupe.capacity, 60_000_000);
    }
  });

  const tlsFix =
    /Fix: set DEVO_TLS=true with DEVO_CERT, DEVO_KEY and DEVO_CHAIN \(or DEVO_PFX and DEVO_CHAIN\), or set DEVO_HOST to your in-house relay/;

  it('refuses DEVO_TLS=false towards a Devo cloud collector, the default host included', () => {
    for (const host of [
      undefined,
      'collector-us.devo.io',
      'collector-eu.devo.io',
      'collector-ca.devo.io',
      'collector-ap.devo.io',
      'collector-ap2.devo.io',
      'Collector-EU.Devo.IO',
      'eu.elb.relay.logtrust.net',
      'ingest.devo.com',
    ]) {
      const env: Env = { DEVO_TLS: 'false', DEVO_PORT: '443', ...(host === undefined ? {} : { DEVO_HOST: host }) };
      const err = expectCrossCheck(readDevoSettings, env, 32, 'DEVO_TLS', ['DEVO_TLS', 'DEVO_HOST'], tlsFix);
      assert.match(err.message, new RegExp(`DEVO_HOST ${host ?? 'collector-us.devo.io'} is a Devo cloud collector`));
    }
  });

  it('accepts DEVO_TLS=false towards an in-house relay, and TLS towards the cloud', () => {
    for (const host of ['relay.corp.example', '10.0.0.7', 'devo.io.corp.example', 'notdevo.io', 'mydevo.com']) {
      assert.equal(isDevoCloudHost(host), false, host);
      assert.equal(readDevoSettings({ DEVO_TLS: 'false', DEVO_HOST: host }).tls, false);
    }
    assert.equal(readDevoSettings({ ...DEVO_TLS, DEVO_HOST: 'collector-eu.devo.io' }).tls, true);
  });
});

describe('identifier masking', () => {
  it('shows only the first four characters', () => {
    assert.equal(maskIdentifier(TENANT), '2f0b****');
    assert.equal(maskIdentifier(undefined), '(unset)');
  });
});
