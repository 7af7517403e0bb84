// The consumer app's auth classes, written as the documentation shows them, importing the package
// by name. Shared by the three consumer projects (scripts/consumer.sh copies it into each).
import {
  BasicAuth,
  DigestAuth,
  GetPassword,
  GetUserRoles,
  TokenAuth,
  VerifyPassword,
  VerifyToken,
  checkPasswordHash,
  generatePasswordHash,
  type PasswordHashOptions,
} from 'routing-controllers-httpauth';

export interface User {
  name: string;
  roles: string[];
}

// Few iterations: this app only proves the package works, and it runs on a small CI machine.
const HASHING: PasswordHashOptions = { method: 'pbkdf2', pbkdf2: { iterations: 1000 } };

export class UserStore {
  private readonly users = new Map<string, User & { passwordHash: string }>();
  dummyHash = '';

  static async create(): Promise<UserStore> {
    const store = new UserStore();
    store.dummyHash = await generatePasswordHash('not a password', HASHING);
    for (const [name, password, roles] of [
      ['alice', 'alice-pw', ['admin']],
      ['bob', 'bob-pw', []],
    ] as const) {
      store.users.set(name, { name, roles: [...roles], passwordHash: await generatePasswordHash(password, HASHING) });
    }
    return store;
  }

  find(name: string) {
    return this.users.get(name);
  }
}

@BasicAuth({ realm: 'consumer' })
export class UserAuth {
  constructor(private readonly users: UserStore) {}

  @VerifyPassword()
  async verify(username: string, password: string): Promise<User | null> {
    if (!username) return null; // called with ('', '') when nothing was sent: never hash for it
    const user = this.users.find(username);
    const ok = await checkPasswordHash(user?.passwordHash ?? this.users.dummyHash, password);
    return ok && user ? { name: user.name, roles: user.roles } : null;
  }

  @GetUserRoles()
  roles(user: User) {
    return user.roles;
  }
}

@TokenAuth({ scheme: 'Bearer', realm: 'consumer-api' })
export class ApiTokenAuth {
  @VerifyToken()
  verify(token: string): User | null {
    return token === 'token-123' ? { name: 'robot', roles: [] } : null;
  }
}

const DIGEST_PASSWORDS: Record<string, string> = { carol: 'carol-pw' };

@DigestAuth({ realm: 'consumer-digest', algorithm: ['SHA-256', 'MD5'], secret: 'consumer-test-secret-0123456789abcdef' })
export class DigestUsers {
  @GetPassword()
  password(username: string) {
    return DIGEST_PASSWORDS[username] ?? null;
  }
}
