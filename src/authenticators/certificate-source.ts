import { isIP, BlockList } from 'node:net';
import type { X509Certificate } from 'node:crypto';
import { assertPlainOptions, configError } from '../config';
import { isToken } from '../internal/auth-params';
import { certificateFromHeader, type CertificateHeaderFormat } from '../schemes/client-cert';
import type { RequestView } from './authenticator';

/**
 * Where a TLS-terminating proxy puts the client certificate it verified (`from` of
 * `@ClientCertAuth`, `mtlsFrom` of `@JwtAuth` and `@IntrospectionAuth`).
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

/** A resolved `ClientCertHeaderOptions`. */
export interface ForwardedCertificateConfig {
  /** Lower-case. */
  readonly header: string;
  readonly format: CertificateHeaderFormat;
  readonly trustedProxies: readonly string[];
}

/** Validates a `ClientCertHeaderOptions` once, at decoration; `name` is the option's (`from`, `mtlsFrom`). */
export function resolveCertificateHeader(value: unknown, name: string, where: string): ForwardedCertificateConfig {
  const from = assertPlainOptions(value, ['header', 'trustedProxies', 'format'], `${where}: ${name}`);
  if (typeof from.header !== 'string' || !isToken(from.header)) configError(where, `${name}.header must be a header name such as "x-ssl-client-cert"`);
  const header = from.header.toLowerCase();
  if (header === 'authorization' || header === 'proxy-authorization' || header === 'cookie') configError(where, `${name}.header cannot be ${from.header}; name the header your proxy sets, e.g. "x-ssl-client-cert"`);
  const proxies = from.trustedProxies;
  if (!Array.isArray(proxies) || proxies.length === 0) {
    configError(where, `${name}.trustedProxies must list the addresses of the proxies that set the header, e.g. ["10.0.0.5"] or ["10.0.0.0/8"]`);
  }
  for (const entry of proxies) {
    if (typeof entry !== 'string' || !addressRule(entry)) configError(where, `${name}.trustedProxies: ${JSON.stringify(entry)} is not an IP address or a CIDR range such as "10.0.0.0/8"`);
  }
  const format = from.format ?? (header === 'x-forwarded-client-cert' ? 'xfcc' : 'escaped-pem');
  if (format !== 'escaped-pem' && format !== 'xfcc') configError(where, `${name}.format must be 'escaped-pem' or 'xfcc'`);
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

/** Why a request's certificate is refused before anyone looks at it. */
export type CertificateRefusal =
  /** A proxy header from a peer that is not a trusted proxy. */
  | { readonly code: 'certificate_header_untrusted'; readonly log: string }
  /** A forwarded value that is not exactly one certificate. */
  | { readonly code: 'certificate_malformed' }
  /** A certificate the TLS layer did not verify against the server's `ca` (with OpenSSL's code). */
  | { readonly code: 'certificate_not_verified'; readonly error: string | undefined };

/** Where the client certificate of a request is. */
export type CertificateSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'certificate'; readonly certificate: X509Certificate }
  | { readonly kind: 'refused'; readonly refusal: CertificateRefusal };

const NONE: CertificateSource = Object.freeze({ kind: 'none' });
const MALFORMED: CertificateSource = Object.freeze({ kind: 'refused', refusal: Object.freeze({ code: 'certificate_malformed' }) });

export interface CertificateReader {
  /** The certificate of this request: the TLS connection's, or the one a trusted proxy forwarded. */
  sourceOf(request: RequestView): CertificateSource;
  /** Whether the request carries a certificate as `sourceOf` would read it, without reading it. */
  presents(request: RequestView): boolean;
}

/**
 * Reads the client certificate of a request: the one this TLS connection presented, or — for a
 * request whose TCP peer is one of `from.trustedProxies` — the one that proxy forwarded in
 * `from.header` (the proxy's own certificate is never the client's). The header from any other
 * peer is refused, never read. With `verified`, a TLS certificate must also have passed the
 * server's `ca` (`socket.authorized`): `@ClientCertAuth` needs that, a certificate binding does not
 * (RFC 8705 §2.2: the handshake proves possession of the key, whoever issued the certificate).
 */
export function createCertificateReader(from: ForwardedCertificateConfig | undefined, options: { readonly verified: boolean }): CertificateReader {
  const trusted = from ? trustedProxyMatcher(from.trustedProxies) : () => false;

  /** The proxy header's value; empty counts as absent (a proxy may send it so for a client without a certificate). */
  const forwardedOf = (request: RequestView): string | undefined => {
    const value = from && request.header(from.header);
    return value && value.trim() !== '' ? value : undefined;
  };

  return {
    sourceOf(request) {
      const connection = request.connection?.();
      if (from) {
        const forwarded = forwardedOf(request);
        if (forwarded !== undefined) {
          if (!trusted(connection?.peerAddress)) {
            return {
              kind: 'refused',
              refusal: { code: 'certificate_header_untrusted', log: `refused a request carrying ${from.header} from ${connection?.peerAddress ?? 'an unknown address'}, which is not in trustedProxies` },
            };
          }
          // Node joins repeated fields with ", ": two certificates are malformed, not a choice.
          const certificate = (request.fieldCount?.(from.header) ?? 1) > 1 ? undefined : certificateFromHeader(forwarded, from.format);
          return certificate ? { kind: 'certificate', certificate } : MALFORMED;
        }
        if (trusted(connection?.peerAddress)) return NONE;
      }
      if (!connection?.certificate) return NONE;
      if (options.verified && !connection.authorized) return { kind: 'refused', refusal: { code: 'certificate_not_verified', error: connection.authorizationError } };
      return { kind: 'certificate', certificate: connection.certificate };
    },
    presents(request) {
      if (forwardedOf(request) !== undefined) return true;
      const connection = request.connection?.();
      return connection?.certificate !== undefined && !(from && trusted(connection.peerAddress));
    },
  };
}
