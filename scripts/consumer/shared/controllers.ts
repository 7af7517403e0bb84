// One controller covering Basic (the default auth class), roles, Token, Digest, JWT with a scope,
// an optional route and @CurrentUser(). Relative imports carry `.js`, which every module setting accepts.
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { LoginRequired, type JwtClaims } from 'routing-controllers-httpauth';
import { ApiTokenAuth, DigestUsers, type User } from './auth.js';
import { ServiceAuth } from './jwt.js';

@JsonController('/api')
@LoginRequired()
export class ApiController {
  @Get('/me')
  me(@CurrentUser() user: User) {
    return { user: user.name };
  }

  @Get('/admin')
  @LoginRequired({ role: 'admin' })
  admin(@CurrentUser() user: User) {
    return { admin: user.name };
  }

  @Get('/token')
  @LoginRequired({ auth: ApiTokenAuth })
  token(@CurrentUser() user: User) {
    return { token: user.name };
  }

  @Get('/digest')
  @LoginRequired({ auth: DigestUsers })
  digest(@CurrentUser() username: string) {
    return { digest: username };
  }

  @Get('/jwt')
  @LoginRequired({ auth: ServiceAuth, scope: 'orders:read' })
  jwt(@CurrentUser() claims: JwtClaims) {
    return { sub: claims.sub, client: claims.client_id };
  }

  @Get('/feed')
  @LoginRequired({ optional: true })
  feed(@CurrentUser() user?: User) {
    return { user: user?.name ?? null };
  }
}
