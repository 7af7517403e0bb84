import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  certificateFromEscapedPem,
  certificateFromHeader,
  certificateFromPem,
  certificateFromXfcc,
  certificateThumbprint,
  MAX_CERTIFICATE_HEADER_CHARS,
  parseXfcc,
} from '../../src/schemes/client-cert';

// One self-signed certificate made by openssl, and its DER and thumbprint as openssl computes them.
const dir = mkdtempSync(join(tmpdir(), 'http-auth-cert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'c.key', '-out', 'c.crt', '-subj', '/CN=unit', '-days', '1'], { cwd: dir, stdio: 'pipe' });
const PEM = readFileSync(join(dir, 'c.crt'), 'utf8');
const KEY = readFileSync(join(dir, 'c.key'), 'utf8');
const DER_SHA256 = execFileSync('sh', ['-c', 'openssl x509 -in c.crt -outform DER | openssl dgst -sha256 -binary | base64 | tr "+/" "-_" | tr -d "="'], { cwd: dir }).toString().trim();

describe('certificateFromPem', () => {
  it.each([
    ['as openssl writes it', PEM],
    ['with CRLF line ends', PEM.replace(/\n/g, '\r\n')],
    ['on one base64 line', PEM.replace(/\n(?!-----END)(?=[A-Za-z0-9+/=])/g, '').replace('-----BEGIN CERTIFICATE-----', '-----BEGIN CERTIFICATE-----\n')],
  ])('reads one certificate %s', (_name, text) => {
    expect(certificateFromPem(text)?.subject).toBe('CN=unit');
  });
  it.each([
    ['empty', ''],
    ['two certificates', PEM + PEM],
    ['a private key', KEY],
    ['text before the block', `hello\n${PEM}`],
    ['no END line', PEM.replace('-----END CERTIFICATE-----', '')],
    ['base64 with a stray character', PEM.replace(/\n([A-Za-z0-9+/]{5})/, '\n$1*')],
    ['base64 of the wrong length', PEM.replace(/\n([A-Za-z0-9+/]{3})/, '\n')],
    ['valid base64 that is not DER', '-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n'],
    ['an empty block', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n'],
  ])('refuses %s', (_name, text) => {
    expect(certificateFromPem(text)).toBeUndefined();
  });
});

describe('certificateFromEscapedPem (nginx $ssl_client_escaped_cert)', () => {
  it('reads a percent-encoded PEM', () => {
    expect(certificateFromEscapedPem(encodeURIComponent(PEM))?.subject).toBe('CN=unit');
  });
  it.each([
    ['a malformed escape', '%E0%A4%A'],
    ['an unescaped PEM with its newlines lost', PEM.replace(/\n/g, ' ')],
    ['a value over the size cap', encodeURIComponent(PEM).padEnd(MAX_CERTIFICATE_HEADER_CHARS + 1, '%20')],
  ])('refuses %s', (_name, value) => {
    expect(certificateFromEscapedPem(value)).toBeUndefined();
  });
});

describe('parseXfcc / certificateFromXfcc (Envoy x-forwarded-client-cert)', () => {
  const cert = encodeURIComponent(PEM);
  it('parses elements, pairs, quoted values with commas, semicolons and escapes', () => {
    expect(parseXfcc('By=spiffe://a;Hash=ab;Subject="CN=x, O=\\"y\\";z",By=http://b;URI=')).toEqual([
      [['By', 'spiffe://a'], ['Hash', 'ab'], ['Subject', 'CN=x, O="y";z']],
      [['By', 'http://b'], ['URI', '']],
    ]);
  });
  it.each([
    ['quoted Cert', `By=spiffe://a;Hash=ab;Cert="${cert}";Subject="CN=unit";URI=`],
    ['unquoted Cert', `Hash=ab;Cert=${cert}`],
    ['lower-case key', `cert="${cert}"`],
  ])('reads the certificate: %s', (_name, value) => {
    expect(certificateFromXfcc(value)?.subject).toBe('CN=unit');
  });
  it.each([
    ['two elements', `Cert="${cert}",Cert="${cert}"`],
    ['two Cert keys', `Cert="${cert}";Cert="${cert}"`],
    ['no Cert', 'By=spiffe://a;Hash=ab'],
    ['an unterminated quote', `Cert="${cert}`],
    ['text after a quoted value', `Cert="${cert}"x;By=a`],
    ['a quote inside an unquoted value', 'By=a"b;Cert=x'],
    ['a pair without "="', `Hash;Cert="${cert}"`],
    ['a key with other characters', `Ha-sh=1;Cert="${cert}"`],
    ['a trailing backslash', 'Cert="abc\\'],
    ['empty', ''],
  ])('refuses %s', (_name, value) => {
    expect(certificateFromXfcc(value)).toBeUndefined();
  });
  it('certificateFromHeader dispatches on the format', () => {
    expect(certificateFromHeader(`Cert="${cert}"`, 'xfcc')?.subject).toBe('CN=unit');
    expect(certificateFromHeader(`Cert="${cert}"`, 'escaped-pem')).toBeUndefined();
    expect(certificateFromHeader(cert, 'escaped-pem')?.subject).toBe('CN=unit');
  });
});

describe('certificateThumbprint (RFC 8705 §3.1 x5t#S256)', () => {
  it('is the base64url SHA-256 of the DER certificate, as openssl computes it', () => {
    expect(certificateThumbprint(certificateFromPem(PEM)!)).toBe(DER_SHA256);
    expect(DER_SHA256).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
