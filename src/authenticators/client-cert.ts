import type { X509Certificate } from 'node:crypto';
import { assertPlainOptions, resolveHookTimeout, resolveOpenApiName } from '../config';
import { AuthenticationFailure } from '../errors';
import type { Steps } from '../internal/steps';
import type { HookRequest } from '../types';
import { ANONYMOUS_OUTCOME, isAccepted, refusalOutcome, wantsRequest, type Authenticator, type Outcome, type RequestView } from './authenticator';
import { createCertificateReader, resolveCertificateHeader, type CertificateRefusal, type ClientCertHeaderOptions, type ForwardedCertificateConfig } from './certificate-source';

export type { ClientCertHeaderOptions } from './certificate-source';

/**
 * Options of `@ClientCertAuth(...)`; all optional: by default the certificate is the one the TLS
 * handshake of this connection verified (an `https` server with `requestCert: true` and `ca`).
 * @example
 * ```ts
 * @ClientCertAuth({ from: { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'] } })
 * class DeviceAuth { @VerifyCertificate() verify(cert: X509Certificate) { return devices.bySerial(cert.serialNumber) ?? null; } }
 * ```
 */
export interface ClientCertAuthOptions {
  /** Also read the certificate from a TLS-terminating proxy's header, for requests from that proxy only. */
  from?: ClientCertHeaderOptions;
  /** The name of this class's security scheme in OpenAPI documents. @default the class name */
  openApiName?: string;
  /** Milliseconds `@VerifyCertificate`, `@GetUserRoles` or `@ErrorHandler` may take to settle; longer answers 503. @default 10000 */
  hookTimeout?: number;
}

export interface ClientCertConfig {
  /** `Credentials.scheme` and audit events' `scheme`; TLS has no `WWW-Authenticate` scheme. */
  readonly scheme: 'mTLS';
  readonly from?: ForwardedCertificateConfig;
  readonly openApiName?: string;
  readonly hookTimeout: number;
}

/** Validates `@ClientCertAuth` options once, at decoration, into a frozen configuration. */
export function resolveClientCertOptions(options: ClientCertAuthOptions | undefined, where: string): ClientCertConfig {
  const o = assertPlainOptions(options, ['from', 'openApiName', 'hookTimeout'], where);
  return Object.freeze({
    scheme: 'mTLS' as const,
    ...(o.from !== undefined ? { from: resolveCertificateHeader(o.from, 'from', where) } : {}),
    openApiName: resolveOpenApiName(o.openApiName, where),
    hookTimeout: resolveHookTimeout(o.hookTimeout, where),
  });
}

type VerifyCertificate = (certificate: X509Certificate, request?: HookRequest) => unknown;

const failure = (code: string, message: string, reason?: 'malformed'): Outcome =>
  refusalOutcome({ status: 401, failure: new AuthenticationFailure(message, { code }), ...(reason ? { reason } : {}) });

const MALFORMED = failure('certificate_malformed', 'the forwarded client certificate cannot be read', 'malformed');
const UNTRUSTED_SOURCE = failure('certificate_header_untrusted', 'a client certificate header is accepted only from a trusted proxy');
const REFUSED_BY_HOOK = refusalOutcome({ status: 401 });

/** The certificate the TLS layer refused, with OpenSSL's reason (a fixed code such as `CERT_HAS_EXPIRED`). */
const notVerified = (error: string | undefined): Outcome =>
  failure('certificate_not_verified', `the client certificate was not verified by the TLS layer (${error !== undefined && /^[A-Z0-9_]{1,64}$/.test(error) ? error : 'UNKNOWN'})`);

const refusedBy = (refusal: CertificateRefusal): Outcome =>
  refusal.code === 'certificate_header_untrusted' ? UNTRUSTED_SOURCE : refusal.code === 'certificate_malformed' ? MALFORMED : notVerified(refusal.error);

/**
 * `@ClientCertAuth`: the user is what `@VerifyCertificate` makes of the client certificate. The
 * certificate is the one the TLS layer of this connection verified (`socket.authorized`), or, for
 * a request whose TCP peer is a trusted proxy, the one that proxy forwarded in `from.header`. A
 * certificate the TLS layer did not verify is refused before any hook sees it. TLS has no
 * `WWW-Authenticate` scheme: a refusal carries no challenge of its own.
 */
export function createClientCertAuthenticator(
  config: ClientCertConfig,
  verifyCertificate: VerifyCertificate,
  context: { logWarn(kind: string, message: string): void },
): Authenticator {
  const certificates = createCertificateReader(config.from, { verified: true });
  const verifyWantsRequest = wantsRequest(verifyCertificate, 1);

  function* authentication(request: RequestView): Steps<Outcome> {
    const source = certificates.sourceOf(request);
    if (source.kind === 'none') return ANONYMOUS_OUTCOME;
    if (source.kind === 'refused') {
      if (source.refusal.code === 'certificate_header_untrusted') context.logWarn('certificate-header', source.refusal.log);
      return refusedBy(source.refusal);
    }
    const { certificate } = source;
    const verified = yield verifyWantsRequest ? verifyCertificate(certificate, request.hookRequest()) : verifyCertificate(certificate);
    if (!isAccepted(verified)) return REFUSED_BY_HOOK;
    return { kind: 'authenticated', verified, credentials: { scheme: config.scheme, certificate } };
  }

  return {
    scheme: config.scheme,
    // As sourceOf decides, without reading a certificate: MultiAuth asks this of every request.
    presents: (request) => certificates.presents(request),
    authenticate: authentication,
    // TLS has no HTTP authentication scheme: nothing to put in WWW-Authenticate.
    challenges: () => [],
  };
}
