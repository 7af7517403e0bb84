/**
 * Where keys and metadata may be fetched from: `https` URLs, and `http` only on the loopback
 * interface (`localhost`, `127.0.0.1`, `[::1]`) for tests and local development. Anything else
 * would let a network attacker replace the keys. URLs with credentials or a fragment are refused.
 *
 * @returns why `value` is not such a URL, or `undefined` when it is.
 */
export function fetchableUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'must be a URL string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (value.includes('#')) return 'must not contain a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return 'must be an https URL (http only for localhost, 127.0.0.1 or [::1])';
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
