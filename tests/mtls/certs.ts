import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Certificates made with the openssl command line for one test file, in a fresh temp directory
 * (removed by `remove()`; no key is ever committed): a CA, a server certificate for 127.0.0.1,
 * client certificates it issued (alice, bob, mallory), one issued by another CA, and an expired one.
 */
export interface TestPki {
  readonly dir: string;
  readonly ca: string;
  readonly server: { readonly cert: string; readonly key: string };
  /** Client certificates: PEM text, and their files for curl. */
  readonly clients: Readonly<Record<ClientName, ClientCert>>;
  remove(): void;
}

export type ClientName = 'alice' | 'bob' | 'mallory' | 'otherCa' | 'expired';

export interface ClientCert {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** RFC 8705 `x5t#S256`: base64url SHA-256 of the DER certificate (DER as openssl writes it). */
  readonly thumbprint: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

function newCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-subj', `/CN=${name}`, '-days', '2']);
}

/** A certificate `name` issued by `ca`, valid for `days` (negative: already expired). */
function issue(dir: string, ca: string, name: string, subject: string, days: number, extensions?: string): void {
  openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  const ext = extensions === undefined ? [] : (writeFileSync(join(dir, `${name}.ext`), extensions), ['-extfile', `${name}.ext`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', String(days), '-out', `${name}.crt`, ...ext]);
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'http-auth-mtls-'));
  newCa(dir, 'ca');
  newCa(dir, 'other-ca');
  issue(dir, 'ca', 'server', '/CN=localhost', 2, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const clientExt = 'extendedKeyUsage=clientAuth\n';
  issue(dir, 'ca', 'alice', '/O=Test/CN=alice', 2, clientExt);
  issue(dir, 'ca', 'bob', '/O=Test/CN=bob', 2, clientExt);
  issue(dir, 'ca', 'mallory', '/O=Test/CN=mallory', 2, clientExt);
  // Same subject as alice: only the issuer tells them apart.
  issue(dir, 'other-ca', 'otherCa', '/O=Test/CN=alice', 2, clientExt);
  issue(dir, 'ca', 'expired', '/O=Test/CN=alice', -1, clientExt);
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const client = (name: ClientName): ClientCert => ({
    cert: read(`${name}.crt`),
    key: read(`${name}.key`),
    certFile: join(dir, `${name}.crt`),
    keyFile: join(dir, `${name}.key`),
    thumbprint: createHash('sha256').update(openssl(dir, ['x509', '-in', `${name}.crt`, '-outform', 'DER'])).digest('base64url'),
  });
  return {
    dir,
    ca: read('ca.crt'),
    server: { cert: read('server.crt'), key: read('server.key') },
    clients: { alice: client('alice'), bob: client('bob'), mallory: client('mallory'), otherCa: client('otherCa'), expired: client('expired') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The common name of a certificate's subject. */
export const commonName = (certificate: X509Certificate): string | undefined => /(?:^|\n)CN=([^\n]*)/.exec(certificate.subject)?.[1];

/** nginx's `$ssl_client_escaped_cert`: the PEM, percent-encoded (ngx_escape_uri, component mode). */
export const nginxEscaped = (pem: string): string => encodeURIComponent(pem);

/** Envoy's XFCC element for a certificate: `Hash=…;Cert="<url-encoded PEM>";Subject="…"`. */
export const xfcc = (pem: string): string => {
  const hash = createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
  return `By=spiffe://cluster.local/ns/default/sa/api;Hash=${hash};Cert="${encodeURIComponent(pem)}";Subject="O=Test,CN=alice";URI=`;
};
