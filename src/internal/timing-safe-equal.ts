import { timingSafeEqual as nodeTimingSafeEqual } from 'node:crypto';

const toBytes = (value: string | Uint8Array): Uint8Array => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value);

/**
 * The one constant-time comparison used for every secret (passwords, tokens, digest responses,
 * nonce MACs). The time taken depends only on the length of `offered` — what the client sent —
 * never on the content or the length of `secret`: when the lengths differ, `offered` is compared
 * with itself so the same work is done, and the stored secret's length does not leak.
 */
export function timingSafeEqual(offered: string | Uint8Array, secret: string | Uint8Array): boolean {
  const a = toBytes(offered);
  const b = toBytes(secret);
  if (a.length !== b.length) {
    nodeTimingSafeEqual(a, a);
    return false;
  }
  return nodeTimingSafeEqual(a, b);
}
