import type * as Identity from '@azure/identity';
import type { TokenCredential } from '@azure/identity';

let loading: Promise<typeof Identity> | undefined;

/**
 * @azure/identity, with MSAL behind it, is a large part of the code; loading it on the first token request instead
 * of at import keeps it off the host's cold start. A failed load is forgotten so the next request tries again.
 */
export function loadIdentity(): Promise<typeof Identity> {
  loading ??= import('@azure/identity').catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/**
 * A credential whose real @azure/identity class is built on its first `getToken`, and reused after that. The SDK
 * clients only ever call `getToken`, so they cannot tell it from the class itself.
 */
export function lazyCredential(create: (identity: typeof Identity) => TokenCredential): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, options) {
      credential ??= loadIdentity().then(create);
      return (await credential).getToken(scopes, options);
    },
  };
}
