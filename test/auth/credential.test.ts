import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createCredential, createTokenSource, isSetupError, toSetupError } from '../../shared/auth/index.ts';
import { startO365Simulator, type O365Simulator } from '../../tools/simulator/index.ts';
import { testCerts } from '../support/devo-receiver.ts';
import { trustTestCa } from '../support/tls.ts';

/** An authority that only issues tokens (or only fails), with no OpenID metadata. */
async function bareAuthority(status: number): Promise<{ origin: string; requests: string[]; server: Server }> {
  const certs = testCerts();
  const requests: string[] = [];
  const server = createServer({ cert: certs.serverCert, key: certs.serverKey }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${body}`);
      if (req.method === 'POST' && req.url?.endsWith('/oauth2/v2.0/token')) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            status === 200
              ? { token_type: 'Bearer', expires_in: 3599, access_token: 'direct-token' }
              : { error: 'server_error' },
          ),
        );
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `https://localhost:${(server.address() as AddressInfo).port}`, requests, server };
}

describe('credentials against a configured authority', () => {
  let sim: O365Simulator;
  before(async () => {
    trustTestCa();
    const certs = testCerts();
    sim = await startO365Simulator({ cert: certs.serverCert, key: certs.serverKey });
  });
  after(() => sim.close());

  const settings = () => ({
    tenantId: sim.tenantId,
    clientId: sim.clientId,
    clientSecret: sim.clientSecret,
    authorityHost: sim.authorityHost,
  });

  it('retries a token request answered with a 5xx, an HTML page or a body cut short', async () => {
    for (const kind of ['500', 'html-200', 'truncated-length', 'truncated-chunked'] as const)
      sim.faults.add({ match: { route: 'token' }, kind });
    try {
      const tokens = createTokenSource(createCredential(settings()), sim.scope, sim.authorityHost, {
        retries: 5,
        retryWaitMs: 20,
        maxRetryWaitMs: 50,
      });
      assert.ok((await tokens.getToken()).length > 0);
      for (const fault of sim.faults.list()) assert.equal(fault.remaining, 0, `${fault.spec.kind} fired`);
    } finally {
      sim.faults.clear();
    }
  });

  it('does not retry credentials the authority refuses', async () => {
    const tokens = createTokenSource(
      createCredential({ ...settings(), clientSecret: 'wrong-secret' }),
      sim.scope,
      sim.authorityHost,
      { retries: 5, retryWaitMs: 20, maxRetryWaitMs: 50 },
    );
    const before = sim.log.requests('token').length;
    await assert.rejects(tokens.getToken(), (err) => isSetupError(err) && err.errorId === 100);
    assert.equal(sim.log.requests('token').length - before, 1);
  });

  it('gets a token from a non-Microsoft authority without instance discovery', async () => {
    const tokens = createTokenSource(createCredential(settings()), sim.scope, sim.authorityHost);
    const issuedBefore = sim.tokens.issued.length;
    const token = await tokens.getToken();
    assert.ok(token.length > 0);
    assert.equal(sim.tokens.issued.length, issuedBefore + 1);
    assert.equal(await tokens.getToken(), token, 'cached until close to expiry');
    assert.equal(sim.tokens.issued.length, issuedBefore + 1);
  });

  it('authenticates with a certificate (O365_CLIENT_CERTIFICATE) instead of a secret', async () => {
    // A throwaway RSA certificate and key for this test only (openssl req -x509 -newkey rsa:2048 -nodes).
    const certificate = readFileSync(new URL('./fixtures/app-certificate.pem', import.meta.url), 'utf8');
    const { clientSecret: _unused, ...withoutSecret } = settings();
    const tokens = createTokenSource(
      createCredential({ ...withoutSecret, clientCertificate: certificate }),
      sim.scope,
      sim.authorityHost,
    );
    assert.ok((await tokens.getToken()).length > 0);
    const issued = sim.tokens.issued.at(-1);
    assert.equal(issued?.authMethod, 'client_assertion');
    assert.equal(issued?.assertionClaims?.iss, sim.clientId);
  });

  it('reports refused credentials as SetupError 100, without the secret', async () => {
    const tokens = createTokenSource(
      createCredential({ ...settings(), clientSecret: 'wrong-secret-value' }),
      sim.scope,
      sim.authorityHost,
    );
    await assert.rejects(tokens.getToken(), (err) => {
      assert.ok(isSetupError(err), String(err));
      assert.equal(err.errorId, 100);
      assert.match(err.message, /^SetupError 100: .*refused the app's credentials.*O365_CLIENT_SECRET/);
      assert.ok(!err.message.includes('wrong-secret-value'));
      return true;
    });
  });

  it('asks an authority without OpenID metadata for the token directly', async () => {
    const authority = await bareAuthority(200);
    try {
      const credential = createCredential({
        tenantId: 't1',
        clientId: 'c1',
        clientSecret: 's1',
        authorityHost: authority.origin,
      });
      const token = await createTokenSource(credential, 'https://manage.example/.default', authority.origin).getToken();
      assert.equal(token, 'direct-token');
      const post = authority.requests.find((r) => r.startsWith('POST /t1/oauth2/v2.0/token'));
      assert.ok(
        post?.includes('grant_type=client_credentials') &&
          post.includes('scope=https%3A%2F%2Fmanage.example%2F.default'),
        post,
      );
    } finally {
      authority.server.close();
    }
  });

  it('reports another failing status as SetupError 101 and anything else as 102', async () => {
    const authority = await bareAuthority(500);
    try {
      const failing = createTokenSource(
        createCredential({ tenantId: 't', clientId: 'c', clientSecret: 's', authorityHost: authority.origin }),
        'x/.default',
        authority.origin,
      );
      await assert.rejects(
        failing.getToken(),
        (err) => isSetupError(err) && err.errorId === 101 && /HTTP 500/.test(err.message),
      );
    } finally {
      authority.server.close();
    }
    const unexpected = toSetupError(new Error('connect ECONNREFUSED 127.0.0.1:1'), 'https://127.0.0.1:1');
    assert.equal(unexpected.errorId, 102);
    assert.match(unexpected.message, /^SetupError 102: .*failed unexpectedly: connect ECONNREFUSED/);
  });
});
