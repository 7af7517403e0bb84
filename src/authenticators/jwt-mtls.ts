import { configError } from '../config';
import { AuthenticationFailure } from '../errors';
import { timingSafeEqual } from '../internal/timing-safe-equal';
import { certificateThumbprint } from '../schemes/client-cert';
import type { JwtClaims } from '../types';
import { refusalOutcome, type Outcome, type RequestView } from './authenticator';

/**
 * Certificate-bound access tokens (RFC 8705 §3) for `@JwtAuth({ mtlsBound })`: a token whose
 * `cnf` names a certificate thumbprint (`x5t#S256`) is accepted only on a connection that presented
 * that certificate in its TLS handshake.
 */

export type MtlsBound = 'allowed' | 'required';

export function resolveMtlsBound(value: unknown, where: string): MtlsBound | undefined {
  if (value === undefined) return undefined;
  if (value !== 'allowed' && value !== 'required') configError(where, "mtlsBound must be 'allowed' (bound and unbound tokens) or 'required' (certificate-bound tokens only)");
  return value;
}

const refusal = (code: string, message: string): Outcome =>
  refusalOutcome({ status: 401, bearerError: 'invalid_token', failure: new AuthenticationFailure(message, { code }) });

const NOT_CHECKED = refusal('certificate_bound_token_not_accepted', 'the token is bound to a client certificate, which this resource does not check');
const NO_CERTIFICATE = refusal('certificate_binding_missing', 'the token is bound to a client certificate, and this connection presented none');
const MISMATCH = refusal('certificate_binding_mismatch', 'the token is bound to another client certificate');
const UNBOUND = refusal('certificate_binding_required', 'the token is not bound to a client certificate');

/** `x5t#S256` is the base64url SHA-256 of a DER certificate: 43 characters. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/**
 * The refusal of a verified token on this request, or `undefined` when its binding holds. Checked
 * on every request, cache hits included: the binding is to the connection, not to the token.
 *
 * Without `mtlsBound`, a bound token is refused (fail closed): accepting it would make a stolen
 * sender-constrained token a bearer token again. The certificate is the one this TLS connection
 * presented; the handshake proves the client holds its private key whether or not the server's
 * `ca` issued it (RFC 8705 §2.2, self-signed certificates), so `socket.authorized` is not needed.
 */
export function certificateBindingRefusal(mode: MtlsBound | undefined, claims: JwtClaims, request: RequestView): Outcome | undefined {
  const cnf = claims.cnf;
  const bound = cnf !== null && typeof cnf === 'object' && Object.prototype.hasOwnProperty.call(cnf, 'x5t#S256');
  if (!bound) return mode === 'required' ? UNBOUND : undefined;
  if (mode === undefined) return NOT_CHECKED;
  const expected = (cnf as Record<string, unknown>)['x5t#S256'];
  const certificate = request.connection?.().certificate;
  if (!certificate) return NO_CERTIFICATE;
  if (typeof expected !== 'string' || !THUMBPRINT.test(expected)) return MISMATCH;
  return timingSafeEqual(certificateThumbprint(certificate), expected) ? undefined : MISMATCH;
}
