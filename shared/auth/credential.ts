import { ClientCertificateCredential, ClientSecretCredential, type TokenCredential } from '@azure/identity';
import { requestTokenDirectly } from './direct-token.ts';
import { toSetupError } from './setup-errors.ts';

export interface CredentialSettings {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  /** PEM text holding the certificate and its private key; preferred over the secret when both are set. */
  clientCertificate?: string;
  /** `https://host[:port]` of the Entra ID authority for the tenant's cloud. */
  authorityHost: string;
}

/**
 * An app-only credential against the configured authority. Instance discovery is off: it would ask Microsoft's
 * public cloud to vouch for the authority, which fails for sovereign hosts reached through an override and for any
 * test authority, and the authority host is already a deliberate setting. An authority that publishes no OpenID
 * metadata (MSAL's `endpoints_resolution_error`) is asked for the token directly, with the client secret.
 */
export function createCredential(settings: CredentialSettings): TokenCredential {
  const common = { authorityHost: settings.authorityHost, disableInstanceDiscovery: true };
  if (settings.clientCertificate !== undefined) {
    return new ClientCertificateCredential(
      settings.tenantId,
      settings.clientId,
      { certificate: settings.clientCertificate },
      common,
    );
  }
  const secret = settings.clientSecret;
  if (secret === undefined) throw new TypeError('createCredential needs a client secret or certificate');
  const msal = new ClientSecretCredential(settings.tenantId, settings.clientId, secret, common);
  let direct = false;
  return {
    async getToken(scopes) {
      const scope = Array.isArray(scopes) ? scopes.join(' ') : (scopes as string);
      if (!direct) {
        try {
          return await msal.getToken(scope);
        } catch (err) {
          if (!String((err as Error).message).includes('endpoints_resolution_error')) throw err;
          direct = true;
        }
      }
      return requestTokenDirectly(settings.authorityHost, settings.tenantId, settings.clientId, secret, scope);
    },
  };
}

/** The client-credentials scope for a resource: `https://manage.office.com` → `https://manage.office.com/.default`. */
export function scopeFor(resource: string): string {
  return `${resource.replace(/\/+$/, '')}/.default`;
}

export interface TokenSource {
  /** A valid access token, refreshed ahead of expiry. */
  getToken(): Promise<string>;
  /** Forgets the cached token, after the API answered 401 to it. */
  invalidate(): void;
}

/**
 * Caches one token per scope and refreshes it `refreshMarginMs` before it expires, so every request does not go
 * through the credential; concurrent callers share one refresh.
 */
export function createTokenSource(
  credential: TokenCredential,
  scope: string,
  authorityHost: string,
  refreshMarginMs = 5 * 60_000,
): TokenSource {
  let cached: { token: string; expiresOn: number } | undefined;
  let pending: Promise<string> | undefined;
  const refresh = async (): Promise<string> => {
    let access;
    try {
      access = await credential.getToken(scope);
    } catch (err) {
      throw toSetupError(err, authorityHost);
    }
    if (access === null) throw toSetupError(new Error(`no token was issued for ${scope}`), authorityHost);
    cached = { token: access.token, expiresOn: access.expiresOnTimestamp };
    return access.token;
  };
  return {
    getToken() {
      if (cached !== undefined && cached.expiresOn - refreshMarginMs > Date.now()) return Promise.resolve(cached.token);
      pending ??= refresh().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
