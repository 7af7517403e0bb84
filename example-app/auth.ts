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
import type { ApiClient, ApiClientStore, Role, User, UserStore } from './users';

/** People: HTTP Basic against the user store. The default auth, because it is passed first. */
@BasicAuth({ realm: 'Example API' })
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

  /** The body of this scheme's 400/401/403 answers; the `WWW-Authenticate` challenge is added for us. */
  @ErrorHandler()
  onError(status: AuthFailureStatus): { error: 'bad_request' | 'unauthorized' | 'forbidden' } {
    return { error: status === 403 ? 'forbidden' : status === 400 ? 'bad_request' : 'unauthorized' };
  }
}

/** Machine clients: the raw key in `X-API-Key`. */
@TokenAuth({ header: 'X-API-Key' })
export class ApiKeyAuth {
  constructor(private readonly clients: ApiClientStore) {}

  @VerifyToken()
  verify(key: string): ApiClient | null {
    return this.clients.find(key);
  }
}
