import type { Random } from '../random.ts';

/** How the client proved its identity at the token endpoint. */
export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'client_assertion';

/** A token the simulator handed out. The token text itself is kept only inside the registry. */
export interface IssuedToken {
  /** 1-based issue order. */
  seq: number;
  tenantId: string;
  clientId: string;
  /** Resource the token is for (the scope without `/.default`). */
  resource: string;
  scope: string;
  authMethod: ClientAuthMethod;
  /** Claims of the client assertion, when one was used (parsed, not verified). */
  assertionClaims?: Record<string, unknown>;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

/** Why a bearer token was refused. */
export type TokenRejection = 'missing' | 'malformed' | 'unknown' | 'expired' | 'revoked' | 'wrong-resource';

export type TokenCheck = { ok: true; token: IssuedToken } | { ok: false; reason: TokenRejection };

/** base64url of a JSON value. */
function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Issues JWT-shaped opaque access tokens and checks them on the API routes. */
export class TokenRegistry {
  readonly #tokens = new Map<string, IssuedToken>();
  readonly #issued: IssuedToken[] = [];
  readonly #random: Random;
  readonly #lifetimeSeconds: number;

  constructor(random: Random, lifetimeSeconds: number) {
    this.#random = random;
    this.#lifetimeSeconds = lifetimeSeconds;
  }

  get lifetimeSeconds(): number {
    return this.#lifetimeSeconds;
  }

  /** Every token issued so far, oldest first. */
  get issued(): readonly IssuedToken[] {
    return this.#issued;
  }

  /** Creates a token; returns its text and its record. */
  issue(
    fields: Omit<IssuedToken, 'seq' | 'expiresAt' | 'revoked'>,
    roles: readonly string[] = ['ActivityFeed.Read', 'ActivityFeed.ReadDlp', 'ServiceHealth.Read'],
  ): { accessToken: string; token: IssuedToken } {
    const token: IssuedToken = {
      ...fields,
      seq: this.#issued.length + 1,
      expiresAt: fields.issuedAt + this.#lifetimeSeconds * 1000,
      revoked: false,
    };
    const iat = Math.floor(fields.issuedAt / 1000);
    // Shaped like an Entra v1 app token so clients that peek at `exp` or `aud` see sensible values.
    const header = { typ: 'JWT', alg: 'RS256', kid: this.#random.hex(40) };
    const claims = {
      aud: fields.resource,
      iss: `https://sts.windows.net/${fields.tenantId}/`,
      iat,
      nbf: iat,
      exp: iat + this.#lifetimeSeconds,
      appid: fields.clientId,
      appidacr: fields.authMethod === 'client_assertion' ? '2' : '1',
      idtyp: 'app',
      oid: this.#random.guid(),
      roles: [...roles],
      sub: this.#random.guid(),
      tid: fields.tenantId,
      uti: this.#random.hex(22),
      ver: '1.0',
    };
    const signature = Buffer.from(this.#random.hex(128), 'hex').toString('base64url');
    const accessToken = `${b64url(header)}.${b64url(claims)}.${signature}`;
    this.#tokens.set(accessToken, token);
    this.#issued.push(token);
    return { accessToken, token };
  }

  /** Checks an `Authorization` header value against the issued tokens. */
  check(authorization: string | undefined, resource: string, now: number): TokenCheck {
    if (authorization === undefined || authorization === '') return { ok: false, reason: 'missing' };
    const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
    if (match?.[1] === undefined) return { ok: false, reason: 'malformed' };
    const token = this.#tokens.get(match[1]);
    if (token === undefined) return { ok: false, reason: 'unknown' };
    if (token.revoked) return { ok: false, reason: 'revoked' };
    if (now >= token.expiresAt) return { ok: false, reason: 'expired' };
    if (token.resource !== resource) return { ok: false, reason: 'wrong-resource' };
    return { ok: true, token };
  }

  /** Invalidates every token issued so far (the next API call gets 401), e.g. to test token renewal. */
  revokeAll(): void {
    for (const token of this.#issued) token.revoked = true;
  }
}
