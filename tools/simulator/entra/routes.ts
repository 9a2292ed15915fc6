import type { RouteMatch, SimContext } from '../context.ts';
import type { Reply, RequestContext } from '../http.ts';
import { jsonReply } from '../http.ts';
import { aadError } from './errors.ts';
import type { ClientAuthMethod } from './tokens.ts';

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const eq = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();

/** The OpenID Connect metadata MSAL reads before asking for a token; every endpoint points back here. */
function openIdConfiguration(sim: SimContext, tenant: string): Record<string, unknown> {
  const base = `${sim.origin}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${sim.origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: new URL(sim.origin).hostname,
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** Instance discovery answer naming the simulator host as its own (and only) alias. */
function instanceDiscovery(sim: SimContext): Record<string, unknown> {
  const host = new URL(sim.origin).host;
  return {
    tenant_discovery_endpoint: `${sim.origin}/${sim.options.tenantId}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

/** Application roles a token carries per API, as consent would grant them. */
const MANAGEMENT_ROLES = ['ActivityFeed.Read', 'ActivityFeed.ReadDlp', 'ServiceHealth.Read'];
const GRAPH_ROLES = ['ExchangeMessageTrace.Read.All'];
const RWS_ROLES = ['ReportingWebService.Read.All'];

/**
 * The configured audience a requested resource names (Management API first, then Graph, then RWS, so that
 * resources left at their common default keep the Management API's token shape), with the roles it grants.
 */
function audienceFor(
  o: SimContext['options'],
  requested: string,
): { resource: string; roles: readonly string[] } | undefined {
  const wanted = requested.replace(/\/+$/, '');
  const candidates: Array<[string, readonly string[]]> = [
    [o.resource, MANAGEMENT_ROLES],
    [o.graphResource, GRAPH_ROLES],
    [o.rwsResource, RWS_ROLES],
  ];
  const same = candidates.filter(([resource]) => eq(wanted, resource));
  if (same.length === 0) return undefined;
  return { resource: same[0]?.[0] ?? wanted, roles: [...new Set(same.flatMap(([, roles]) => roles))] };
}

/** Decodes the claims of a JWT without checking its signature; undefined when it is not a JWT. */
function jwtClaims(text: string): Record<string, unknown> | undefined {
  const parts = text.split('.');
  if (parts.length !== 3 || parts.some((p) => p === '' || !/^[A-Za-z0-9_-]+$/.test(p))) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8'));
    const claims: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    const isObject = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v);
    return isObject(header) && isObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

/** Client id and secret from an HTTP Basic header (each part form-encoded, per RFC 6749 §2.3.1). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header === undefined ? null : /^Basic +(\S+)$/i.exec(header.trim());
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const unform = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
  return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
}

/** `POST /{tenant}/oauth2/v2.0/token`: client credentials with a secret or a client assertion. */
function token(sim: SimContext, req: RequestContext, tenant: string): Reply {
  const correlationId =
    typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : undefined;
  const ctx = { now: req.now, origin: sim.origin, correlationId };
  const o = sim.options;
  const fail = (status: number, error: string, code: number, text: string): Reply =>
    aadError(status, error, code, text, ctx);
  const missing = (name: string): Reply =>
    fail(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);

  if (!eq(tenant, o.tenantId)) {
    return fail(
      400,
      'invalid_request',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }
  const form = new URLSearchParams(req.body);
  const basic = basicCredentials(req.headers.authorization);
  const grantType = form.get('grant_type');
  if (grantType === null) return missing('grant_type');
  if (grantType !== 'client_credentials') {
    return fail(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
  const clientId = form.get('client_id') ?? basic?.id;
  if (clientId === undefined) return missing('client_id');
  if (!eq(clientId, o.clientId)) {
    return fail(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${o.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const scopeText = form.get('scope');
  if (scopeText === null) return missing('scope');
  const scopes = scopeText.split(' ').filter((s) => s !== '' && !OIDC_SCOPES.has(s));
  const scope = scopes[0];
  if (scopes.length !== 1 || scope === undefined || !scope.endsWith('/.default')) {
    return fail(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scopeText} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const resource = scope.slice(0, -'/.default'.length);
  const audience = audienceFor(o, resource);
  if (audience === undefined) {
    return fail(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${o.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }

  let authMethod: ClientAuthMethod;
  let assertionClaims: Record<string, unknown> | undefined;
  const secret = form.get('client_secret') ?? basic?.secret;
  const assertion = form.get('client_assertion');
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== JWT_BEARER) return missing('client_assertion_type');
    assertionClaims = jwtClaims(assertion);
    if (assertionClaims === undefined) return fail(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
    if (!eq(String(assertionClaims.iss), o.clientId) || !eq(String(assertionClaims.sub), o.clientId)) {
      return fail(
        401,
        'invalid_client',
        700021,
        "Client assertion application identifier doesn't match 'client_id' parameter.",
      );
    }
    const exp = typeof assertionClaims.exp === 'number' ? assertionClaims.exp * 1000 : undefined;
    if (exp !== undefined && exp <= req.now) {
      return fail(401, 'invalid_client', 700024, 'Client assertion is not within its valid time range.');
    }
    authMethod = 'client_assertion';
  } else if (secret !== undefined) {
    if (secret !== o.clientSecret) {
      return fail(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${o.clientId}'.`,
      );
    }
    authMethod = form.has('client_secret') ? 'client_secret_post' : 'client_secret_basic';
  } else {
    return fail(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }

  const { accessToken } = sim.tokens.issue(
    {
      tenantId: o.tenantId,
      clientId: o.clientId,
      resource: audience.resource,
      scope,
      authMethod,
      ...(assertionClaims === undefined ? {} : { assertionClaims }),
      issuedAt: req.now,
    },
    audience.roles,
  );
  const lifetime = sim.tokens.lifetimeSeconds;
  return jsonReply(
    200,
    { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken },
    { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
  );
}

/** Matches the Entra ID routes: metadata documents and the v2 token endpoint. */
export function matchEntra(sim: SimContext, req: RequestContext): RouteMatch | undefined {
  const s = req.segments;
  const tenant = s[0] ?? '';
  const ctx = { now: req.now, origin: sim.origin };
  const metadata = (handle: () => Reply): RouteMatch => ({ route: 'metadata', family: 'entra', handle });
  const knownTenant = (then: () => Reply): Reply =>
    eq(tenant, sim.options.tenantId)
      ? then()
      : aadError(
          400,
          'invalid_tenant',
          90002,
          `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
          ctx,
        );
  const get = req.method === 'GET';

  if (get && s.length === 3 && eq(s[0], 'common') && eq(s[1], 'discovery') && eq(s[2], 'instance')) {
    return metadata(() => jsonReply(200, instanceDiscovery(sim)));
  }
  const v2Config = s.length === 4 && eq(s[1], 'v2.0') && eq(s[2], '.well-known') && eq(s[3], 'openid-configuration');
  const v1Config = s.length === 3 && eq(s[1], '.well-known') && eq(s[2], 'openid-configuration');
  if (get && (v2Config || v1Config))
    return metadata(() => knownTenant(() => jsonReply(200, openIdConfiguration(sim, tenant))));
  if (get && s.length === 4 && eq(s[1], 'discovery') && eq(s[2], 'v2.0') && eq(s[3], 'keys')) {
    return metadata(() => knownTenant(() => jsonReply(200, { keys: [] })));
  }
  if (s.length === 4 && eq(s[1], 'oauth2') && eq(s[2], 'v2.0') && eq(s[3], 'token')) {
    if (req.method !== 'POST')
      return { route: 'token', family: 'entra', handle: () => jsonReply(405, { error: 'method_not_allowed' }) };
    return { route: 'token', family: 'entra', handle: () => token(sim, req, tenant) };
  }
  return undefined;
}
