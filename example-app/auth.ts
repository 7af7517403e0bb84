// In your app: import { … } from 'routing-controllers-httpauth';
import {
  BasicAuth,
  ErrorHandler,
  GetUserRoles,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  type AuthFailureStatus,
} from '../src';
import { errorBody, type ErrorBody } from './errors';
import type { ApiClient, ApiClientStore, Role, User, UserStore } from './users';

/**
 * People: HTTP Basic against the user store. The default auth, because it is passed first.
 * Throttled: 10 failed attempts within a minute (per account, and per client address) block
 * further tries for a minute with 429 and Retry-After.
 */
@BasicAuth({ realm: 'Example API', throttle: { failures: 10, window: 60, block: 60 } })
export class UserAuth {
  constructor(private readonly users: UserStore) {}

  @VerifyPassword()
  async verify(username: string, password: string): Promise<User | null> {
    // Also called with ('', '') when no credentials were sent: nobody, without spending a hash.
    if (username === '') return null;
    return this.users.check(username, password);
  }

  @GetUserRoles()
  roles(user: User): readonly Role[] {
    return user.roles;
  }

  /** The body of this scheme's answers (400/401/403, 429, 503); the `WWW-Authenticate` challenge is added for us. */
  @ErrorHandler()
  onError(status: AuthFailureStatus): ErrorBody {
    return errorBody(status);
  }
}

/**
 * Machine clients: the raw key in `X-API-Key`. The challenge names a scheme of its own: with the
 * default `Bearer` it would tell clients to send `Authorization: Bearer`, which this class never
 * reads.
 */
@TokenAuth({ header: 'X-API-Key', scheme: 'ApiKey', realm: 'Example API' })
export class ApiKeyAuth {
  constructor(private readonly clients: ApiClientStore) {}

  @VerifyToken()
  verify(key: string): ApiClient | null {
    return this.clients.find(key);
  }

  /** The same body as UserAuth's: on the MultiAuth route either member may answer. */
  @ErrorHandler()
  onError(status: AuthFailureStatus): ErrorBody {
    return errorBody(status);
  }
}
