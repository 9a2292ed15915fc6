import type { AccessToken } from '@azure/identity';
import { createHttpClient, jsonBody } from '../http/index.ts';

/**
 * The OAuth2 client-credentials request itself, for an authority that issues tokens but publishes no OpenID
 * metadata (which MSAL requires before it asks for a token): a test or proxy authority given by O365_AUTHORITY_HOST.
 * The secret goes only to that authority's origin. A cut or unparseable answer is retried like any other request.
 */
export async function requestTokenDirectly(
  authorityHost: string,
  tenantId: string,
  clientId: string,
  clientSecret: string,
  scope: string,
): Promise<AccessToken> {
  const origin = new URL(authorityHost).origin;
  const http = createHttpClient({
    allowedOrigins: [origin],
    timeoutMs: 30_000,
    retryLimit: 2,
    maxRetryDelayMs: 10_000,
  });
  const { value } = await http.fetch(
    {
      url: new URL(`${origin}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`),
      method: 'POST',
      form: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope },
    },
    jsonBody(
      (body) => (typeof (body as { access_token?: unknown } | null)?.access_token === 'string' ? body : undefined),
      'a token response with an access_token',
    ),
  );
  const response = value as { access_token: string; expires_in?: unknown };
  const lifetime = Number(response.expires_in);
  return {
    token: response.access_token,
    expiresOnTimestamp: Date.now() + (Number.isFinite(lifetime) && lifetime > 0 ? lifetime : 3599) * 1000,
  };
}
