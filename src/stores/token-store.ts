/**
 * One refresh token as a {@link TokenStore} keeps it. The token itself is never stored: the record
 * is found by a keyed hash of it (HMAC-SHA-256), so a copy of the store cannot be replayed. Every
 * field but `consumed` is fixed when the record is written.
 * @example
 * ```ts
 * const record: RefreshTokenRecord | undefined = await store.findRefreshToken(hash);
 * ```
 */
export interface RefreshTokenRecord {
  /** The login it descends from (a random id, the `sid` claim of the family's access tokens). */
  readonly family: string;
  /** The `sub` of the access tokens it yields. */
  readonly subject: string;
  /** The scopes granted at login, space-separated; `''` for none. */
  readonly scope: string;
  /** The `client_id` of the access tokens it yields; `''` for none. */
  readonly clientId: string;
  /** The login's own claims as JSON; `''` for none. */
  readonly claims: string;
  /** Epoch ms after which it is refused. */
  readonly expiresAt: number;
  /** Whether it was exchanged already: presenting it again is reuse. */
  readonly consumed: boolean;
}

/**
 * A refresh token to write: a record (not consumed yet) under the keyed hash of the token.
 * @example
 * ```ts
 * async rotateRefreshToken(hash: string, next: NewRefreshToken) { await db.insert('refresh_tokens', { hash: next.hash, ...next.record, consumed: false }); }
 * ```
 */
export interface NewRefreshToken {
  /** The keyed hash of the new token: its record's key. */
  readonly hash: string;
  /** What to store (its `family` is the presented token's, in a rotation). */
  readonly record: Omit<RefreshTokenRecord, 'consumed'>;
  /**
   * Epoch ms until which the family's record and its subject's record must be kept at least (the
   * latest expiry of the family's tokens, plus a margin for clock tolerance); only ever extended.
   */
  readonly keepUntil: number;
}

/**
 * A login: the first refresh token of a new family.
 * @example
 * ```ts
 * async createLogin(login: NewLogin) { await db.transaction((tx) => recordLogin(tx, login)); }
 * ```
 */
export interface NewLogin extends NewRefreshToken {
  /** The subject's key (a keyed hash of `sub`): where its revocation epoch is kept. */
  readonly subjectKey: string;
  /**
   * A fresh random epoch: the subject's epoch when it has none yet. The family records the
   * subject's epoch as it is after this call; `revokeSubject` changes it, which revokes the family.
   */
  readonly epoch: string;
}

/**
 * What presenting a refresh token did: `rotated` (consumed; the next token is written), `reused`
 * (it was consumed already: its family is now revoked), `revoked` (its family was revoked, by
 * reuse, `revoke` or `revokeAll`), `expired`, or `unknown` (no such token).
 * @example
 * ```ts
 * const result: RotateResult = await store.rotateRefreshToken(hash, next);
 * ```
 */
export type RotateResult = 'rotated' | 'reused' | 'revoked' | 'expired' | 'unknown';

/**
 * Whether an access token the issuer signed is still honoured.
 * @example
 * ```ts
 * const state: AccessTokenState = await store.accessTokenState(claims.jti, claims.sid);
 * ```
 */
export type AccessTokenState = 'active' | 'revoked';

/**
 * Where `createTokenIssuer` keeps refresh tokens and revocations, so that every instance sharing
 * the store sees a revocation at once. Implementations: `MemoryTokenStore` (one process) and
 * `RedisTokenStore` (a cluster); write your own for another shared store.
 *
 * Records: a refresh token (by its hash), a family (one per login: its subject's epoch at login
 * and a revoked flag), a subject (its current epoch), a revoked access token (by `jti`). Every
 * record may be dropped once its expiry has passed, never before.
 *
 * Each method must be atomic: in particular `rotateRefreshToken` must check and consume in one
 * step (a transaction, a Lua script, a compare-and-set), so that of many concurrent calls with the
 * same token exactly one sees it unconsumed. Any failure must throw or reject — the issuer then
 * answers 503 — never answer as if the token were valid. A store that must forget a record it
 * still needs (a full memory) may forget a family or a subject (their tokens are then refused:
 * fail closed), never a revoked access token.
 * @example
 * ```ts
 * class PostgresTokenStore implements TokenStore {
 *   async rotateRefreshToken(hash: string, next: NewRefreshToken): Promise<RotateResult> {
 *     // BEGIN; SELECT … FOR UPDATE the token, its family and its subject; check; UPDATE consumed; INSERT next; COMMIT
 *     return db.transaction((tx) => rotate(tx, hash, next));
 *   }
 *   // … the other methods
 * }
 * ```
 */
export interface TokenStore {
  /**
   * Records a login: the subject's epoch (set to `login.epoch` if it has none), the family (with
   * that epoch, not revoked) and its first refresh token. All or nothing.
   */
  createLogin(login: NewLogin): void | Promise<void>;

  /** The record of a refresh token by its hash, consumed or not; `undefined` when unknown or past its expiry. Changes nothing. */
  findRefreshToken(hash: string): RefreshTokenRecord | undefined | Promise<RefreshTokenRecord | undefined>;

  /**
   * Exchanges a refresh token, atomically: unknown → `unknown`; its family revoked, or recorded
   * with an epoch that is not its subject's current one → `revoked`; consumed already → marks
   * the family revoked and answers `reused`; expired → `expired`; else marks it consumed (kept
   * until its expiry, to detect reuse), writes `next` in the same family and extends the family's
   * and the subject's records to `next.keepUntil` → `rotated`.
   */
  rotateRefreshToken(hash: string, next: NewRefreshToken): RotateResult | Promise<RotateResult>;

  /** Marks the family of a refresh token revoked; `false` when the token is unknown. */
  revokeFamilyOf(hash: string): boolean | Promise<boolean>;

  /** Records an access token's `jti` as revoked until `until` (epoch ms: its `exp` plus the margin). */
  revokeAccessToken(jti: string, until: number): void | Promise<void>;

  /**
   * Replaces a subject's epoch with `epoch` (keeping its expiry), which revokes every family
   * recorded with the old one; `false` when the subject has no record (no token of it is alive).
   */
  revokeSubject(subjectKey: string, epoch: string): boolean | Promise<boolean>;

  /**
   * `revoked` when the `jti` is revoked, or the family is unknown, revoked, or recorded with an
   * epoch that is not its subject's current one; else `active`. Changes nothing.
   */
  accessTokenState(jti: string, family: string): AccessTokenState | Promise<AccessTokenState>;
}
