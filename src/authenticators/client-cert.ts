import { isIP, BlockList } from 'node:net';
import type { X509Certificate } from 'node:crypto';
import { assertPlainOptions, configError, resolveHookTimeout, resolveOpenApiName } from '../config';
import { AuthenticationFailure } from '../errors';
import { isToken } from '../internal/auth-params';
import type { Steps } from '../internal/steps';
import { certificateFromHeader, type CertificateHeaderFormat } from '../schemes/client-cert';
import type { HookRequest } from '../types';
import { ANONYMOUS_OUTCOME, isAccepted, refusalOutcome, wantsRequest, type Authenticator, type Outcome, type RequestView } from './authenticator';

/**
 * Where a TLS-terminating proxy puts the client certificate it verified (`from` of
 * `@ClientCertAuth`).
 * @example
 * ```ts
 * const fromNginx: ClientCertHeaderOptions = { header: 'x-ssl-client-cert', trustedProxies: ['10.0.0.5'] };
 * ```
 */
export interface ClientCertHeaderOptions {
  /**
   * The header the proxy sets, e.g. `'x-ssl-client-cert'` (nginx `$ssl_client_escaped_cert`) or
   * `'x-forwarded-client-cert'` (Envoy's XFCC).
   */
  header: string;
  /**
   * The addresses (IPv4/IPv6, or CIDR ranges such as `'10.0.0.0/8'`) of the proxies allowed to
   * set it, compared with the address of the TCP connection itself (never `X-Forwarded-For`). A
   * request from any other address that carries the header is refused with 401 and logged.
   */
  trustedProxies: readonly string[];
  /**
   * How the certificate is written: `'escaped-pem'` (a percent-encoded PEM certificate: nginx
   * `$ssl_client_escaped_cert`, AWS ALB) or `'xfcc'` (Envoy's `x-forwarded-client-cert`, whose
   * one element's `Cert="…"` is a percent-encoded PEM certificate).
   * @default 'xfcc' for the header x-forwarded-client-cert, else 'escaped-pem'
   */
  format?: 'escaped-pem' | 'xfcc';
}

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
  readonly from?: {
    /** Lower-case. */
    readonly header: string;
    readonly format: CertificateHeaderFormat;
    readonly trustedProxies: readonly string[];
  };
  readonly openApiName?: string;
  readonly hookTimeout: number;
}

/** Validates `@ClientCertAuth` options once, at decoration, into a frozen configuration. */
export function resolveClientCertOptions(options: ClientCertAuthOptions | undefined, where: string): ClientCertConfig {
  const o = assertPlainOptions(options, ['from', 'openApiName', 'hookTimeout'], where);
  return Object.freeze({
    scheme: 'mTLS' as const,
    ...(o.from !== undefined ? { from: resolveFrom(o.from, where) } : {}),
    openApiName: resolveOpenApiName(o.openApiName, where),
    hookTimeout: resolveHookTimeout(o.hookTimeout, where),
  });
}

function resolveFrom(value: unknown, where: string): NonNullable<ClientCertConfig['from']> {
  const from = assertPlainOptions(value, ['header', 'trustedProxies', 'format'], `${where}: from`);
  if (typeof from.header !== 'string' || !isToken(from.header)) configError(where, 'from.header must be a header name such as "x-ssl-client-cert"');
  const header = from.header.toLowerCase();
  if (header === 'authorization' || header === 'proxy-authorization' || header === 'cookie') configError(where, `from.header cannot be ${from.header}; name the header your proxy sets, e.g. "x-ssl-client-cert"`);
  const proxies = from.trustedProxies;
  if (!Array.isArray(proxies) || proxies.length === 0) {
    configError(where, 'from.trustedProxies must list the addresses of the proxies that set the header, e.g. ["10.0.0.5"] or ["10.0.0.0/8"]');
  }
  for (const entry of proxies) {
    if (typeof entry !== 'string' || !addressRule(entry)) configError(where, `from.trustedProxies: ${JSON.stringify(entry)} is not an IP address or a CIDR range such as "10.0.0.0/8"`);
  }
  const format = from.format ?? (header === 'x-forwarded-client-cert' ? 'xfcc' : 'escaped-pem');
  if (format !== 'escaped-pem' && format !== 'xfcc') configError(where, "from.format must be 'escaped-pem' or 'xfcc'");
  return Object.freeze({ header, format, trustedProxies: Object.freeze([...(proxies as string[])]) });
}

/** An address or a CIDR range, as a BlockList rule: `[address, prefix, family]`. */
function addressRule(entry: string): [string, number, 'ipv4' | 'ipv6'] | undefined {
  const [address, prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
  if (!(bits >= 0 && bits <= max)) return undefined;
  return [address, bits, version === 4 ? 'ipv4' : 'ipv6'];
}

/** A matcher for the trusted proxies; an IPv4-mapped IPv6 peer (`::ffff:10.0.0.5`) is read as IPv4. */
function trustedProxyMatcher(entries: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits, family] = addressRule(entry)!;
    list.addSubnet(address, bits, family);
  }
  return (address) => {
    if (address === undefined) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const plain = mapped ? mapped[1] : address;
    const version = isIP(plain);
    return version !== 0 && list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
  };
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

/** Where the certificate of a request is (and what refuses it). */
type CertificateSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'certificate'; readonly certificate: X509Certificate }
  | { readonly kind: 'refused'; readonly outcome: Outcome; readonly log?: string };

const NONE: CertificateSource = Object.freeze({ kind: 'none' });

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
  const from = config.from;
  const trusted = from ? trustedProxyMatcher(from.trustedProxies) : () => false;
  const verifyWantsRequest = wantsRequest(verifyCertificate, 1);

  /** The proxy header's value; empty counts as absent (a proxy may send it so for a client without a certificate). */
  const forwardedOf = (request: RequestView): string | undefined => {
    const value = from && request.header(from.header);
    return value && value.trim() !== '' ? value : undefined;
  };

  function sourceOf(request: RequestView): CertificateSource {
    const connection = request.connection?.();
    if (from) {
      const forwarded = forwardedOf(request);
      if (forwarded !== undefined) {
        if (!trusted(connection?.peerAddress)) {
          return { kind: 'refused', outcome: UNTRUSTED_SOURCE, log: `refused a request carrying ${from.header} from ${connection?.peerAddress ?? 'an unknown address'}, which is not in trustedProxies` };
        }
        // Node joins repeated fields with ", ": two certificates are malformed, not a choice.
        const certificate = (request.fieldCount?.(from.header) ?? 1) > 1 ? undefined : certificateFromHeader(forwarded, from.format);
        return certificate ? { kind: 'certificate', certificate } : { kind: 'refused', outcome: MALFORMED };
      }
      // The proxy's own certificate (if it presents one upstream) is not the client's.
      if (trusted(connection?.peerAddress)) return NONE;
    }
    if (!connection?.certificate) return NONE;
    if (!connection.authorized) return { kind: 'refused', outcome: notVerified(connection.authorizationError) };
    return { kind: 'certificate', certificate: connection.certificate };
  }

  function* authentication(request: RequestView): Steps<Outcome> {
    const source = sourceOf(request);
    if (source.kind === 'none') return ANONYMOUS_OUTCOME;
    if (source.kind === 'refused') {
      if (source.log) context.logWarn('certificate-header', source.log);
      return source.outcome;
    }
    const { certificate } = source;
    const verified = yield verifyWantsRequest ? verifyCertificate(certificate, request.hookRequest()) : verifyCertificate(certificate);
    if (!isAccepted(verified)) return REFUSED_BY_HOOK;
    return { kind: 'authenticated', verified, credentials: { scheme: config.scheme, certificate } };
  }

  return {
    scheme: config.scheme,
    // As sourceOf decides, without reading a certificate: MultiAuth asks this of every request.
    presents(request) {
      if (forwardedOf(request) !== undefined) return true;
      const connection = request.connection?.();
      return connection?.certificate !== undefined && !(from && trusted(connection.peerAddress));
    },
    authenticate: authentication,
    // TLS has no HTTP authentication scheme: nothing to put in WWW-Authenticate.
    challenges: () => [],
  };
}
