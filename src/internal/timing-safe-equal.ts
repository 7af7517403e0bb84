import { createHmac, randomBytes, timingSafeEqual as nodeTimingSafeEqual } from 'node:crypto';

// Both sides are reduced to fixed-length MACs first, so neither the content nor the length of a
// secret can be learned from how long the comparison takes. The key is per process: the MACs are
// never stored or shown, it only has to be unknown to the client.
const comparisonKey = randomBytes(32);

function mac(value: string | Uint8Array): Buffer {
  return createHmac('sha256', comparisonKey).update(value).digest();
}

/** The one constant-time comparison used for every secret (passwords, tokens, digest responses). */
export function timingSafeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return nodeTimingSafeEqual(mac(a), mac(b));
}
