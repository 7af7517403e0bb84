import { generateKeyPairSync } from 'node:crypto';
import { Body, CurrentUser, Get, Header, JsonController, Post } from 'routing-controllers';
// In your app: import { JwtAuth, LoginRequired, createTokenIssuer, type JwtClaims } from 'routing-controllers-httpauth';
import { JwtAuth, LoginRequired, createTokenIssuer, type JwtClaims } from '../src';
import { UserAuth } from './auth';
import type { User } from './users';

/**
 * Issuing tokens: log in once with Basic at `POST /auth/token`, then call with the access token.
 * The signing key is made when the process starts, and the refresh tokens live in its memory (the
 * default `MemoryTokenStore`): a restart logs everyone out. A real app loads its key from a secret
 * store and, with several instances, gives the issuer a `RedisTokenStore`.
 */
export const tokens = createTokenIssuer({
  issuer: 'https://example-api.local',
  audience: 'https://example-api.local',
  privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
});

/** Access tokens of `tokens`, in `Authorization: Bearer`. */
@JwtAuth({ issuedBy: tokens, realm: 'Example API' })
export class AccessTokenAuth {}

interface TokenRequest {
  refresh_token?: string;
}

/** A person's roles as the token's scopes: `articles:read` for readers, `articles:write` for editors. */
function scopesOf(user: User): string[] {
  return [...(user.roles.includes('reader') ? ['articles:read'] : []), ...(user.roles.includes('editor') ? ['articles:write'] : [])];
}

@JsonController('/auth')
export class TokenController {
  /** Basic login (throttled, see UserAuth): a fresh access token and a refresh token. */
  @Post('/token')
  @Header('Cache-Control', 'no-store')
  @LoginRequired({ auth: UserAuth })
  token(@CurrentUser() user: User) {
    return tokens.issue(user.username, { fresh: true, scope: scopesOf(user) });
  }

  /** A new pair for a refresh token, which is used up; presenting it again revokes the login. */
  @Post('/refresh')
  @Header('Cache-Control', 'no-store')
  refresh(@Body({ required: false }) body?: TokenRequest) {
    return tokens.refresh(body?.refresh_token);
  }

  /** Revokes the login of a refresh token (or one access token). */
  @Post('/logout')
  async logout(@Body({ required: false }) body?: TokenRequest) {
    return { revoked: await tokens.revoke(body?.refresh_token) };
  }

  /** What an access token says: its subject, scopes, and whether it is fresh (from a login, not a refresh). */
  @Get('/whoami')
  @LoginRequired({ auth: AccessTokenAuth, scope: 'articles:read' })
  whoami(@CurrentUser() claims: JwtClaims) {
    return { sub: claims.sub, scope: claims.scope, fresh: claims.fresh === true };
  }
}
