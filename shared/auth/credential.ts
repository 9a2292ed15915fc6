import type { TokenCredential } from '@azure/identity';
import { setTimeout as sleep } from 'node:timers/promises';
import { decideRetry, isTransientStatus } from '../http/index.ts';
import { requestTokenDirectly } from './direct-token.ts';
import { lazyCredential } from './lazy-identity.ts';
import { toSetupError, type SetupError } from './setup-errors.ts';

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
 * metadata (MSAL's `endpoints_resolution_error`) is asked for the token directly, with the client secret. The
 * @azure/identity class is only loaded on the first token request (see lazy-identity.ts).
 */
export function createCredential(settings: CredentialSettings): TokenCredential {
  const common = { authorityHost: settings.authorityHost, disableInstanceDiscovery: true };
  if (settings.clientCertificate !== undefined) {
    const certificate = settings.clientCertificate;
    return lazyCredential(
      (identity) =>
        new identity.ClientCertificateCredential(settings.tenantId, settings.clientId, { certificate }, common),
    );
  }
  const secret = settings.clientSecret;
  if (secret === undefined) throw new TypeError('createCredential needs a client secret or certificate');
  const msal = lazyCredential(
    (identity) => new identity.ClientSecretCredential(settings.tenantId, settings.clientId, secret, common),
  );
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

/** How token requests are retried: the same settings and budget as the API requests. */
export interface TokenRetry {
  retries: number;
  retryWaitMs: number;
  maxRetryWaitMs: number;
  /** No retry wait starts that would end after this instant (ms since epoch). */
  deadline?: number;
}

/** A token failure worth another try: no answer at all (network, a cut body) or a 5xx/429 from the authority. */
export function isTransientTokenFailure(err: SetupError): boolean {
  return err.statusCode === undefined ? err.errorId === 102 : isTransientStatus(err.statusCode, '');
}

/**
 * Caches one token per scope and refreshes it `refreshMarginMs` before it expires, so every request does not go
 * through the credential; concurrent callers share one refresh. A transient failure of the token request is retried
 * with the same policy as API requests; refused credentials fail at once.
 */
export function createTokenSource(
  credential: TokenCredential,
  scope: string,
  authorityHost: string,
  retry: TokenRetry = { retries: 2, retryWaitMs: 1000, maxRetryWaitMs: 10_000 },
  refreshMarginMs = 5 * 60_000,
): TokenSource {
  let cached: { token: string; expiresOn: number } | undefined;
  let pending: Promise<string> | undefined;
  const once = async (): Promise<string> => {
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
  const refresh = async (): Promise<string> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await once();
      } catch (err) {
        const decision = decideRetry({
          attemptCount: attempt,
          limit: retry.retries,
          transient: isTransientTokenFailure(err as SetupError),
          retryAfterMs: undefined,
          maxDelayMs: retry.maxRetryWaitMs,
          baseDelayMs: retry.retryWaitMs,
          ...(retry.deadline === undefined ? {} : { timeLeftMs: retry.deadline - Date.now() }),
        });
        if (!decision.retry) throw err;
        await sleep(decision.delayMs);
      }
    }
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
