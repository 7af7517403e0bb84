import { configError } from '../config';
import { AuthenticationFailure } from '../errors';
import { timingSafeEqual } from '../internal/timing-safe-equal';
import { certificateThumbprint } from '../schemes/client-cert';
import type { JwtClaims } from '../types';
import { refusalOutcome, type Outcome, type RequestView } from './authenticator';
import { createCertificateReader, resolveCertificateHeader, type ClientCertHeaderOptions, type ForwardedCertificateConfig } from './certificate-source';

/**
 * Certificate-bound access tokens (RFC 8705 §3) for `@JwtAuth({ mtlsBound })` and
 * `@IntrospectionAuth({ mtlsBound })`: a token whose `cnf` names a certificate thumbprint
 * (`x5t#S256`) is accepted only on a connection that presented that certificate in its TLS
 * handshake — or, with `mtlsFrom`, whose trusted TLS-terminating proxy forwarded it.
 */

export type MtlsBound = 'allowed' | 'required';

/**
 * The certificate-binding options of `@JwtAuth` and `@IntrospectionAuth` (RFC 8705 §3). See
 * docs/sender-constrained-tokens.md.
 * @example
 * ```ts
 * const binding: MtlsBindingOptions = { mtlsBound: 'required', mtlsFrom: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'] } };
 * ```
 */
export interface MtlsBindingOptions {
  /**
   * Certificate-bound tokens: a token with `cnf["x5t#S256"]` is accepted only on a TLS connection
   * that presented that client certificate. `'allowed'`: unbound tokens pass too; `'required'`:
   * they are refused. Without it, a bound token is refused (401 `invalid_token`).
   */
  mtlsBound?: 'allowed' | 'required';
  /**
   * Behind a TLS-terminating proxy: the certificate of a certificate-bound token is the one the
   * proxy forwarded in `header`, read only for requests whose TCP peer is one of `trustedProxies`
   * (the header from anyone else is refused and logged). Direct TLS connections keep using their
   * own certificate. Needs `mtlsBound`. As `from` of `@ClientCertAuth`.
   */
  mtlsFrom?: ClientCertHeaderOptions;
}

/** `mtlsBound` and `mtlsFrom`, resolved once at decoration (as members to spread into a config). */
export function resolveMtlsOptions(o: Record<string, unknown>, where: string): { readonly mtlsBound?: MtlsBound; readonly mtlsFrom?: ForwardedCertificateConfig } {
  const value = o.mtlsBound;
  if (value === undefined) {
    if (o.mtlsFrom !== undefined) configError(where, "mtlsFrom says where the certificate of a certificate-bound token comes from; add mtlsBound: 'allowed' (or 'required')");
    return {};
  }
  if (value !== 'allowed' && value !== 'required') configError(where, "mtlsBound must be 'allowed' (bound and unbound tokens) or 'required' (certificate-bound tokens only)");
  return { mtlsBound: value, ...(o.mtlsFrom !== undefined ? { mtlsFrom: resolveCertificateHeader(o.mtlsFrom, 'mtlsFrom', where) } : {}) };
}

const refusal = (code: string, message: string): Outcome =>
  refusalOutcome({ status: 401, bearerError: 'invalid_token', failure: new AuthenticationFailure(message, { code }) });

const NOT_CHECKED = refusal('certificate_bound_token_not_accepted', 'the token is bound to a client certificate, which this resource does not check');
const NO_CERTIFICATE = refusal('certificate_binding_missing', 'the token is bound to a client certificate, and this connection presented none');
const MISMATCH = refusal('certificate_binding_mismatch', 'the token is bound to another client certificate');
const UNBOUND = refusal('certificate_binding_required', 'the token is not bound to a client certificate');
const UNTRUSTED_SOURCE = refusal('certificate_header_untrusted', 'a client certificate header is accepted only from a trusted proxy');
const MALFORMED = refusal('certificate_malformed', 'the forwarded client certificate cannot be read');

/** `x5t#S256` is the base64url SHA-256 of a DER certificate: 43 characters. */
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/** The refusal of a verified token on this request, or `undefined` when its binding holds. */
export type CertificateBinding = (claims: JwtClaims, request: RequestView) => Outcome | undefined;

/**
 * The certificate binding of a class. Checked on every request, cache hits included: the binding is
 * to the connection, not to the token.
 *
 * Without `mtlsBound`, a bound token is refused (fail closed): accepting it would make a stolen
 * sender-constrained token a bearer token again. The certificate is the one this TLS connection
 * presented; the handshake proves the client holds its private key whether or not the server's
 * `ca` issued it (RFC 8705 §2.2, self-signed certificates), so `socket.authorized` is not needed.
 * With `mtlsFrom`, a request from a trusted proxy is judged by the certificate that proxy forwarded
 * (it made the handshake); the header from anyone else is refused and logged, never read.
 */
export function createCertificateBinding(mode: MtlsBound | undefined, from: ForwardedCertificateConfig | undefined, logWarn: (kind: string, message: string) => void): CertificateBinding {
  const certificates = createCertificateReader(from, { verified: false });
  return (claims, request) => {
    const cnf = claims.cnf;
    const bound = cnf !== null && typeof cnf === 'object' && Object.prototype.hasOwnProperty.call(cnf, 'x5t#S256');
    if (!bound) return mode === 'required' ? UNBOUND : undefined;
    if (mode === undefined) return NOT_CHECKED;
    const expected = (cnf as Record<string, unknown>)['x5t#S256'];
    const source = certificates.sourceOf(request);
    if (source.kind === 'none') return NO_CERTIFICATE;
    if (source.kind === 'refused') {
      if (source.refusal.code !== 'certificate_header_untrusted') return MALFORMED;
      logWarn('certificate-header', source.refusal.log);
      return UNTRUSTED_SOURCE;
    }
    if (typeof expected !== 'string' || !THUMBPRINT.test(expected)) return MISMATCH;
    return timingSafeEqual(certificateThumbprint(source.certificate), expected) ? undefined : MISMATCH;
  };
}
