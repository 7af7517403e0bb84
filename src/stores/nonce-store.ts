/**
 * Where Digest nonce uses are recorded, so that a captured request cannot be replayed.
 * Implementations: `MemoryNonceStore` (one process) and `RedisNonceStore` (a cluster); write your
 * own for another shared store, keeping `use` atomic.
 * @example
 * ```ts
 * class PostgresNonceStore implements NonceStore {
 *   async use(nonce: string, use: string, expiresAt: number) {
 *     // INSERT … ON CONFLICT DO NOTHING: exactly one caller inserts the row
 *     const inserted = await db.insertIfAbsent('nonce_uses', { nonce, use, expiresAt });
 *     return inserted;
 *   }
 * }
 * ```
 */
export interface NonceStore {
  /**
   * Records one use of a nonce. Resolves true if this (nonce, use) pair has not been seen before
   * and may be accepted; false for a replay or a nonce it can no longer vouch for.
   *
   * @param use the `nc` value (with qop) or the `response` (RFC 2069 mode, where there is no count).
   *   Uses may arrive in any order, since browsers send concurrent requests; each is accepted once.
   * @param expiresAt epoch ms after which the nonce is dead anyway, so its record may be dropped.
   *   The same nonce always comes with the same value. `Infinity` when the nonce has no known end
   *   (a custom `@VerifyNonce` that returns `true`): its record must then be kept until the
   *   store's own bound evicts it, never dropped on a timer.
   */
  use(nonce: string, use: string, expiresAt: number): boolean | Promise<boolean>;
}
