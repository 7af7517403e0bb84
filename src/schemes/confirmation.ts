import { isJsonObject, type JsonObject } from './jwt/compact';

/**
 * The confirmation claim of a token or an introspection answer (RFC 7800 §3.1):
 *
 *   "cnf": { <confirmation method>: <value>, ... }     ; "a JSON object"
 *
 * Each member names a key the presenter must prove it holds. Two methods are checked here:
 * `jkt` (DPoP, RFC 9449 §6.1) and `x5t#S256` (a client certificate, RFC 8705 §3.1). A token bound
 * by any other method (`jwk`, `jwe`, `kid`, `jku`, …) cannot be checked, and is no bearer token.
 */
export type ConfirmationMethod = 'jkt' | 'x5t#S256';

/**
 * - `unbound`: no `cnf`.
 * - `checked`: every method it names is one the caller checks (`checks`).
 * - `unchecked`: it names a method the caller does not check.
 * - `invalid`: `cnf` is not an object, or names no method at all.
 */
export type ConfirmationState = 'unbound' | 'checked' | 'unchecked' | 'invalid';

export function confirmationState(claims: JsonObject, checks: Readonly<Record<ConfirmationMethod, boolean>>): ConfirmationState {
  const { cnf } = claims;
  if (cnf === undefined) return 'unbound';
  if (!isJsonObject(cnf)) return 'invalid';
  const methods = Object.keys(cnf);
  if (methods.length === 0) return 'invalid';
  return methods.every((method) => (method === 'jkt' || method === 'x5t#S256') && checks[method]) ? 'checked' : 'unchecked';
}
