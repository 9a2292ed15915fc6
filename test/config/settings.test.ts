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
  type Env,
} from '../../shared/config/index.ts';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const CERT = fixture('client.crt');
const KEY = fixture('client.key');
const TENANT = '2f0b1f2e-9a61-4d3b-8a0e-5d1c3b7a9e10';
const CLIENT = '7c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e';

const O365: Env = { O365_TENANT_ID: TENANT, O365_CLIENT_ID: CLIENT, O365_CLIENT_SECRET: 's3cr3t-value' };
const DEVO_TLS: Env = { DEVO_CERT: CERT, DEVO_KEY: KEY, DEVO_CHAIN: CERT };
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

const CASES: Case[] = [
  { setting: 'AzureWebJobsStorage', read: readStorageSettings, base: STORAGE, defaultOf: (r: { kind: string }) => r.kind, defaultValue: 'connectionString', bad: 'AccountName=x', errorId: 10, message: /neither AccountName and AccountKey/ },
  { setting: 'AzureWebJobsStorage__accountName', read: readStorageSettings, base: identity, defaultOf: (r: { blobServiceUri: string }) => r.blobServiceUri, defaultValue: 'https://stateacct.blob.core.windows.net', bad: 'https://stateacct.blob.core.windows.net', errorId: 11, message: /not a storage account name/ },
  { setting: 'AzureWebJobsStorage__blobServiceUri', read: readStorageSettings, base: identity, defaultOf: (r: { blobServiceUri: string }) => r.blobServiceUri, defaultValue: 'https://stateacct.blob.core.windows.net', bad: 'http://stateacct.blob.core.usgovcloudapi.net', errorId: 12, message: /not an https origin/ },
  { setting: 'AzureWebJobsStorage__tableServiceUri', read: readStorageSettings, base: identity, defaultOf: (r: { tableServiceUri: string }) => r.tableServiceUri, defaultValue: 'https://stateacct.table.core.windows.net', bad: 'stateacct.table.core.windows.net', errorId: 13, message: /not an https origin/ },
  { setting: 'AzureWebJobsStorage__credential', read: readStorageSettings, base: identity, defaultOf: (r: { kind: string }) => r.kind, defaultValue: 'identity', bad: 'connectionstring', errorId: 14, message: /not one of managedidentity/ },
  { setting: 'AzureWebJobsStorage__clientId', read: readStorageSettings, base: identity, defaultOf: (r: { clientId?: string }) => r.clientId, defaultValue: undefined, bad: 'my-identity', errorId: 15, message: /not a GUID/ },
  { setting: 'STATE_TABLE_NAME', read: readStorageSettings, base: STORAGE, defaultOf: (r: { tableName: string }) => r.tableName, defaultValue: 'o365devostate', bad: 'o365-state', errorId: 16, message: /not a valid table name/ },
  { setting: 'STATE_CONTAINER_NAME', read: readStorageSettings, base: STORAGE, defaultOf: (r: { containerName: string }) => r.containerName, defaultValue: 'o365devo-state', bad: 'State_Container', errorId: 17, message: /not a valid container name/ },
  { setting: 'O365_TENANT_ID', read: readO365Settings, base: O365, defaultOf: (r: { tenantId: string }) => r.tenantId, defaultValue: TENANT, bad: 'contoso.onmicrosoft.com', errorId: 20, message: /"contoso.onmicrosoft.com" is not a GUID/ },
  { setting: 'O365_CLIENT_ID', read: readO365Settings, base: O365, defaultOf: (r: { clientId: string }) => r.clientId, defaultValue: CLIENT, bad: '1234', errorId: 21, message: /"1234" is not a GUID/ },
  { setting: 'O365_CLIENT_SECRET', read: readO365Settings, base: O365, defaultOf: (r: { clientSecret: string }) => r.clientSecret, defaultValue: 's3cr3t-value', bad: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/o365)', errorId: 22, message: /Key Vault reference the platform could not resolve.*Secrets User/ },
  { setting: 'O365_CLOUD', read: readO365Settings, base: O365, defaultOf: (r: { cloud: string }) => r.cloud, defaultValue: 'commercial', bad: 'azure-china', errorId: 23, message: /not one of commercial, gcc, gcchigh, dod/ },
  { setting: 'O365_AUTHORITY_HOST', read: readO365Settings, base: O365, defaultOf: (r: { authorityHost: string }) => r.authorityHost, defaultValue: 'https://login.microsoftonline.com', bad: 'http://login.microsoftonline.com', errorId: 24, message: /not an https origin/ },
  { setting: 'DEVO_HOST', read: readDevoSettings, base: DEVO_TLS, defaultOf: (r: { host: string }) => r.host, defaultValue: 'collector-us.devo.io', bad: 'https://collector-eu.devo.io', errorId: 30, message: /not a host name/ },
  { setting: 'DEVO_PORT', read: readDevoSettings, base: DEVO_TLS, defaultOf: (r: { port: number }) => r.port, defaultValue: 443, bad: '70000', errorId: 31, message: /70000 is out of range 1\.\.65535/ },
  { setting: 'DEVO_TLS', read: readDevoSettings, base: DEVO_TLS, defaultOf: (r: { tls: boolean }) => r.tls, defaultValue: true, bad: 'maybe', errorId: 32, message: /"maybe" is not true or false/ },
  { setting: 'DEVO_CERT', read: readDevoSettings, base: DEVO_TLS, defaultOf: (r: { cert: string }) => r.cert, defaultValue: CERT, bad: 'not a certificate', errorId: 33, message: /contains no PEM certificate/ },
  { setting: 'DEVO_KEY', read: readDevoSettings, base: DEVO_TLS, defaultOf: (r: { key: string }) => r.key, defaultValue: KEY, bad: fixture('other.key'), errorId: 34, message: /not the private key of DEVO_CERT/ },
  { setting: 'DEVO_CHAIN', read: readDevoSettings, base: DEVO_TLS, defaultOf: (r: { chain: string }) => r.chain, defaultValue: CERT, bad: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', errorId: 35, message: /damaged PEM certificate/ },
  { setting: 'DEVO_COMPRESSION', read: readDevoSettings, base: DEVO_TLS, defaultOf: (r: { compression: string }) => r.compression, defaultValue: 'none', bad: 'zip', errorId: 36, message: /"zip" is not one of none, gzip/ },
  { setting: 'BLOOM_FILTER_SIZE', read: readDedupeSettings, base: {}, defaultOf: (r: { capacity: number }) => r.capacity, defaultValue: 10_000_000, bad: 'ten million', errorId: 40, message: /"ten million" is not a whole number/ },
  { setting: 'BLOOM_FILTER_BUFFER_SIZE', read: readDedupeSettings, base: {}, defaultOf: (r: { bufferSize: number }) => r.bufferSize, defaultValue: 100_000, bad: '10000000', errorId: 41, message: /not smaller than BLOOM_FILTER_SIZE/ },
  { setting: 'BLOOM_FILTER_ERROR_RATE', read: readDedupeSettings, base: {}, defaultOf: (r: { errorRate: number }) => r.errorRate, defaultValue: 0.000001, bad: '0', errorId: 42, message: /0 is out of range/ },
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
    assert.deepEqual(err.problems.map((p) => p.errorId), [20, 21, 22]);
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
    assert.equal(readO365Settings({ ...O365, O365_AUTHORITY_HOST: 'https://127.0.0.1:8443' }).authorityHost, 'https://127.0.0.1:8443');
  });

  it('requires the certificate, key and chain with TLS, and not without', () => {
    const err = expectProblem(readDevoSettings, {}, 33, 'DEVO_CERT', /is not set.*DEVO_TLS=false/);
    assert.deepEqual(err.problems.map((p) => p.setting), ['DEVO_CERT', 'DEVO_KEY', 'DEVO_CHAIN']);
    assert.deepEqual(readDevoSettings({ DEVO_TLS: 'false', DEVO_PORT: '13000' }), {
      host: 'collector-us.devo.io',
      port: 13000,
      tls: false,
      compression: 'none',
    });
  });

  it('explains an encrypted private key', () => {
    expectProblem(readDevoSettings, { ...DEVO_TLS, DEVO_KEY: fixture('encrypted.key') }, 34, 'DEVO_KEY', /encrypted private key.*without a passphrase/);
  });

  it('restores PEM text pasted with \\n escapes or flattened to one line', () => {
    const escaped = readDevoSettings({ ...DEVO_TLS, DEVO_CERT: CERT.trim().replace(/\n/g, '\\n') });
    assert.equal(escaped.cert, CERT);
    const flattened = readDevoSettings({ ...DEVO_TLS, DEVO_KEY: KEY.trim().replace(/\n/g, ' ') });
    assert.ok(flattened.key?.startsWith('-----BEGIN PRIVATE KEY-----\n'));
  });

  it('refuses a filter that would not fit in memory', () => {
    expectProblem(readDedupeSettings, { BLOOM_FILTER_SIZE: '100000000', BLOOM_FILTER_ERROR_RATE: '1e-9' }, 40, 'BLOOM_FILTER_SIZE', /need \d+ MB per filter/);
  });

  it('never echoes a secret value', () => {
    const secret = 'AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;Foo';
    const err = expectProblem(readStorageSettings, { AzureWebJobsStorage: `${secret};broken` }, 10, 'AzureWebJobsStorage', /Key=Value pairs/);
    assert.ok(!err.message.includes('c2VjcmV0LWtleQ'));
    const keyErr = expectProblem(readDevoSettings, { ...DEVO_TLS, DEVO_KEY: 'MIIEvQIBADANBgkq-secret-material' }, 34, 'DEVO_KEY', /not a PEM private key/);
    assert.ok(!keyErr.message.includes('secret-material'));
  });

  it('treats an empty app setting as unset', () => {
    assert.equal(readDevoSettings({ ...DEVO_TLS, DEVO_PORT: '  ' }).port, 443);
  });
});

describe('identifier masking', () => {
  it('shows only the first four characters', () => {
    assert.equal(maskIdentifier(TENANT), '2f0b****');
    assert.equal(maskIdentifier(undefined), '(unset)');
  });
});
