import { createHash } from 'node:crypto';
// In your app: import { checkPasswordHash, generatePasswordHash } from 'routing-controllers-httpauth';
import { checkPasswordHash, generatePasswordHash } from '../src';

export type Role = 'admin' | 'editor' | 'verified' | 'owner' | 'reader';

/** A person who logs in with HTTP Basic. Safe to return from an endpoint: no password hash. */
export interface User {
  readonly kind: 'user';
  readonly username: string;
  readonly name: string;
  readonly roles: readonly Role[];
}

/** A machine client that sends an API key. */
export interface ApiClient {
  readonly kind: 'client';
  readonly name: string;
}

/** Whoever made the request: what `@CurrentUser()` returns in this app. */
export type Principal = User | ApiClient;

/**
 * The demo accounts. Roles are flat, as in Flask-HTTPAuth: `admin` does not imply `reader`, so
 * alice holds both. `owner` lets bob delete the articles he wrote.
 */
export const DEMO_USERS = [
  { username: 'alice', password: 'alice-secret', name: 'Alice', roles: ['admin', 'reader'] },
  { username: 'bob', password: 'bob-secret', name: 'Bob', roles: ['editor', 'verified', 'owner', 'reader'] },
  { username: 'carol', password: 'carol-secret', name: 'Carol', roles: ['reader'] },
] as const satisfies readonly { username: string; password: string; name: string; roles: readonly Role[] }[];

export const DEMO_API_KEY = 'demo-api-key';

interface Account {
  readonly user: User;
  readonly passwordHash: string;
}

/**
 * An in-memory user table. Passwords are hashed when the store is created, with werkzeug's
 * default scrypt parameters: hashing the demo accounts takes about 0.1 s, so there is no reason
 * to lower them. A real app reads the hashes from its database instead.
 */
export class UserStore {
  /** Resolves when every password has been hashed; logins wait for it. */
  readonly ready: Promise<void>;
  readonly #accounts = new Map<string, Account>();
  // Unknown usernames are checked against this hash, so they take as long as wrong passwords and
  // the response time does not reveal which usernames exist.
  #dummyHash = '';

  constructor(seed: readonly { username: string; password: string; name: string; roles: readonly Role[] }[]) {
    this.ready = (async () => {
      this.#dummyHash = await generatePasswordHash('not a password');
      await Promise.all(
        seed.map(async ({ username, password, name, roles }) => {
          const passwordHash = await generatePasswordHash(password);
          this.#accounts.set(username, { user: Object.freeze({ kind: 'user', username, name, roles }), passwordHash });
        }),
      );
    })();
  }

  /** The user, when the password is right; `null` otherwise. */
  async check(username: string, password: string): Promise<User | null> {
    await this.ready;
    const account = this.#accounts.get(username);
    const ok = await checkPasswordHash(account?.passwordHash ?? this.#dummyHash, password);
    return ok && account ? account.user : null;
  }
}

/**
 * API keys, stored as SHA-256 digests: keys are long random strings, so a fast hash is enough,
 * and looking a digest up in a Map reveals nothing about the key itself.
 */
export class ApiClientStore {
  readonly #clients = new Map<string, ApiClient>();

  constructor(keys: Readonly<Record<string, string>>) {
    for (const [key, name] of Object.entries(keys)) this.#clients.set(digest(key), Object.freeze({ kind: 'client', name }));
  }

  find(key: string): ApiClient | null {
    return key === '' ? null : (this.#clients.get(digest(key)) ?? null);
  }
}

function digest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
