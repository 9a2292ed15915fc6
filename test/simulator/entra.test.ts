import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { O365Simulator } from '../../tools/simulator/index.ts';
import { api, CA_PATH, call, feedUrl, fetchToken, startSimulator } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./fixtures/identity-token.ts', import.meta.url));

interface Attempt {
  ok: boolean;
  token?: string;
  expiresOnTimestamp?: number;
  name?: string;
  message?: string;
}

/** Runs the @azure/identity child against the simulator, one attempt per secret. */
function identityChild(sim: O365Simulator, secrets: string[], trustCa: boolean): Promise<Attempt[]> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    SIM_AUTHORITY: sim.authorityHost,
    SIM_TENANT: sim.tenantId,
    SIM_CLIENT: sim.clientId,
    SIM_SCOPE: sim.scope,
    SIM_SECRETS: JSON.stringify(secrets),
    ...(trustCa ? { NODE_EXTRA_CA_CERTS: CA_PATH } : {}),
  };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD], { env, timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`identity child failed: ${err.message}\n${stderr}`));
      else
        resolve(
          stdout
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as Attempt),
        );
    });
  });
}

/** POSTs a form to the token endpoint of a tenant. */
function tokenRequest(
  sim: O365Simulator,
  form: Record<string, string>,
  tenant = sim.tenantId,
  headers: Record<string, string> = {},
) {
  return call(`${sim.origin}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Entra ID token endpoint', () => {
  let sim: O365Simulator;
  before(async () => {
    sim = await startSimulator();
  });
  after(() => sim.close());

  it('gives @azure/identity a token (ClientSecretCredential, authorityHost = simulator, no instance discovery)', async () => {
    const [good, bad] = await identityChild(sim, [sim.clientSecret, 'not-the-secret'], true);
    assert.equal(good?.ok, true, JSON.stringify(good));
    assert.ok((good.expiresOnTimestamp ?? 0) > Date.now() + 3500_000);
    assert.equal(
      (await api(feedUrl(sim, 'subscriptions/list'), good.token ?? '')).status,
      200,
      'the token opens the API',
    );
    assert.equal(bad?.ok, false);
    assert.match(bad.message ?? '', /AADSTS7000215/);

    const issued = sim.tokens.issued.at(-1);
    assert.equal(issued?.authMethod, 'client_secret_post');
    assert.equal(issued.scope, `${sim.origin}/.default`);
    const metadata = sim.log.requests('metadata').map((e) => e.path);
    assert.ok(metadata.includes(`/${sim.tenantId}/v2.0/.well-known/openid-configuration`), metadata.join(', '));
    assert.equal(sim.log.counts().unknown, 0, 'MSAL asked for nothing the simulator does not serve');
  });

  it('is refused by a client that does not trust the test CA (verification stays on)', async () => {
    const requests = sim.log.entries.length;
    const [attempt] = await identityChild(sim, [sim.clientSecret], false);
    assert.equal(attempt?.ok, false);
    assert.match(attempt.message ?? '', /endpoints_resolution_error|certificate/i);
    assert.equal(sim.log.entries.length, requests, 'no request got through');
    assert.ok(sim.log.tlsFailures >= 1, 'the handshake was refused');
  });

  it('serves OpenID metadata that points back to the simulator', async () => {
    const res = await call(`${sim.origin}/${sim.tenantId}/v2.0/.well-known/openid-configuration`);
    const doc = JSON.parse(res.text) as Record<string, string>;
    assert.equal(doc.token_endpoint, sim.tokenEndpoint);
    assert.equal(doc.issuer, `${sim.origin}/${sim.tenantId}/v2.0`);
    const unknown = await call(`${sim.origin}/common-nope/v2.0/.well-known/openid-configuration`);
    assert.equal(unknown.status, 400);
  });

  it('answers wrong tenant, client, secret, scope and grant with Entra-style errors', async () => {
    const good = {
      grant_type: 'client_credentials',
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      scope: sim.scope,
    };
    const cases: Array<[Record<string, string>, string | undefined, number, string, number]> = [
      [good, 'ffffffff-ffff-4fff-8fff-ffffffffffff', 400, 'invalid_request', 90002],
      [{ ...good, client_id: '00000000-1111-4222-8333-444444444444' }, undefined, 400, 'unauthorized_client', 700016],
      [{ ...good, client_secret: 'wrong' }, undefined, 401, 'invalid_client', 7000215],
      [
        { grant_type: 'client_credentials', client_id: sim.clientId, scope: sim.scope },
        undefined,
        401,
        'invalid_client',
        7000218,
      ],
      [{ ...good, scope: sim.origin }, undefined, 400, 'invalid_scope', 1002012],
      [{ ...good, scope: 'https://manage.office.com/.default' }, undefined, 400, 'invalid_resource', 500011],
      [{ ...good, grant_type: 'password' }, undefined, 400, 'unsupported_grant_type', 70003],
    ];
    for (const [form, tenant, status, error, code] of cases) {
      const res = await tokenRequest(sim, form, tenant, {
        'client-request-id': 'c0ffee00-0000-4000-8000-000000000001',
      });
      assert.equal(res.status, status, res.text);
      const body = JSON.parse(res.text) as {
        error: string;
        error_codes: number[];
        error_description: string;
        correlation_id: string;
      };
      assert.equal(body.error, error);
      assert.deepEqual(body.error_codes, [code]);
      assert.match(body.error_description, new RegExp(`^AADSTS${code}: .* Trace ID: .* Correlation ID: c0ffee00`));
      assert.equal(body.correlation_id, 'c0ffee00-0000-4000-8000-000000000001');
    }
  });

  it('issues 3599-second bearer tokens for a secret (post or basic) and for a parsed, unverified client assertion', async () => {
    const secretRes = await tokenRequest(sim, {
      grant_type: 'client_credentials',
      client_id: sim.clientId,
      client_secret: sim.clientSecret,
      scope: `${sim.scope} openid`,
    });
    const body = JSON.parse(secretRes.text) as Record<string, unknown>;
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3599);
    assert.equal(typeof body.access_token, 'string');

    const basic = Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64');
    const basicRes = await tokenRequest(sim, { grant_type: 'client_credentials', scope: sim.scope }, undefined, {
      authorization: `Basic ${basic}`,
    });
    assert.equal(basicRes.status, 200, basicRes.text);
    assert.equal(sim.tokens.issued.at(-1)?.authMethod, 'client_secret_basic');

    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: sim.tokenEndpoint,
      iss: sim.clientId,
      sub: sim.clientId,
      jti: 'assertion-1',
      nbf: now,
      exp: now + 600,
    };
    const assertion = `${b64url({ alg: 'PS256', typ: 'JWT', 'x5t#S256': 'abc' })}.${b64url(claims)}.c2lnbmF0dXJl`;
    const form = {
      grant_type: 'client_credentials',
      client_id: sim.clientId,
      scope: sim.scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    };
    const asserted = await tokenRequest(sim, { ...form, client_assertion: assertion });
    assert.equal(asserted.status, 200, asserted.text);
    const issued = sim.tokens.issued.at(-1);
    assert.equal(issued?.authMethod, 'client_assertion');
    assert.equal(issued.assertionClaims?.jti, 'assertion-1');
    const token = (JSON.parse(asserted.text) as { access_token: string }).access_token;
    assert.equal((await api(feedUrl(sim, 'subscriptions/list'), token)).status, 200);

    assert.equal((await tokenRequest(sim, { ...form, client_assertion: 'not-a-jwt' })).status, 400);
    const foreign = `${b64url({ alg: 'RS256' })}.${b64url({ ...claims, iss: 'someone-else', sub: 'someone-else' })}.c2ln`;
    assert.equal((await tokenRequest(sim, { ...form, client_assertion: foreign })).status, 401);
  });

  it('uses the configured resources as the only accepted scopes', async () => {
    const custom = await startSimulator({
      resource: 'https://manage.office.com',
      graphResource: 'https://graph.microsoft.com',
      rwsResource: 'https://outlook.office365.com',
    });
    try {
      assert.equal(custom.scope, 'https://manage.office.com/.default');
      assert.ok((await fetchToken(custom)).length > 0);
      const res = await tokenRequest(custom, {
        grant_type: 'client_credentials',
        client_id: custom.clientId,
        client_secret: custom.clientSecret,
        scope: `${custom.origin}/.default`,
      });
      assert.equal(res.status, 400);
    } finally {
      await custom.close();
    }
  });

  it('keeps the Management API closed to tokens for the message trace audiences left at the origin', async () => {
    const custom = await startSimulator({ resource: 'https://manage.office.com' });
    try {
      assert.equal(custom.graphScope, `${custom.origin}/.default`);
      const graphToken = await fetchToken(custom, custom.graphScope);
      assert.equal((await api(feedUrl(custom, 'subscriptions/list'), graphToken)).status, 401);
      assert.equal((await api(feedUrl(custom, 'subscriptions/list'), await fetchToken(custom))).status, 200);
    } finally {
      await custom.close();
    }
  });
});
