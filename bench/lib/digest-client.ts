/**
 * A minimal Digest client (RFC 7616 / RFC 2617) for the load generators: reads a challenge,
 * answers it with qop=auth (or without qop when none is offered) and counts nc up per nonce.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Challenge {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm: string;
  qop?: string;
}

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

function hashName(algorithm: string): string | undefined {
  return HASHES[algorithm.toUpperCase().replace(/-SESS$/, '')];
}

/** Parses `key=value` / `key="value"` pairs after the scheme word. */
export function parseParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return out;
}

/**
 * The first Digest challenge with an algorithm we can compute, from the raw `WWW-Authenticate`
 * field values (one challenge per field, as RFC 7616 servers send one per algorithm).
 */
export function pickChallenge(fields: readonly string[]): Challenge | undefined {
  for (const field of fields) {
    // A field may hold several challenges; split before each `Digest ` scheme word.
    for (const part of field.split(/,?\s*(?=\bDigest\s)/i)) {
      const m = /^\s*Digest\s+(.*)$/is.exec(part);
      if (!m) continue;
      const p = parseParams(m[1]);
      const algorithm = p.algorithm ?? 'MD5';
      if (!p.nonce || hashName(algorithm) === undefined) continue;
      const qops = p.qop?.split(',').map((q) => q.trim().toLowerCase());
      if (qops && !qops.includes('auth')) continue;
      return { realm: p.realm ?? '', nonce: p.nonce, opaque: p.opaque, algorithm, qop: qops ? 'auth' : undefined };
    }
  }
  return undefined;
}

/** The `WWW-Authenticate` field values of a response, each as sent. */
export function challengeFields(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === 'www-authenticate') out.push(rawHeaders[i + 1]);
  }
  return out;
}

/** One client's use of one nonce: call `header()` once per request; nc counts up. */
export class DigestSession {
  private nc = 0;
  private readonly cnonce = randomBytes(8).toString('hex');
  private readonly ha1: string;
  private readonly hash: string;

  constructor(
    private readonly challenge: Challenge,
    private readonly username: string,
    password: string,
  ) {
    this.hash = hashName(challenge.algorithm)!;
    let ha1 = this.h(`${username}:${challenge.realm}:${password}`);
    if (/-sess$/i.test(challenge.algorithm)) ha1 = this.h(`${ha1}:${challenge.nonce}:${this.cnonce}`);
    this.ha1 = ha1;
  }

  private h(text: string): string {
    return createHash(this.hash).update(text).digest('hex');
  }

  header(method: string, uri: string): string {
    const c = this.challenge;
    const ha2 = this.h(`${method}:${uri}`);
    let fields = `Digest username="${this.username}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", algorithm=${c.algorithm}`;
    if (c.qop) {
      this.nc += 1;
      const nc = this.nc.toString(16).padStart(8, '0');
      const response = this.h(`${this.ha1}:${c.nonce}:${nc}:${this.cnonce}:${c.qop}:${ha2}`);
      fields += `, qop=${c.qop}, nc=${nc}, cnonce="${this.cnonce}", response="${response}"`;
    } else {
      fields += `, response="${this.h(`${this.ha1}:${c.nonce}:${ha2}`)}"`;
    }
    if (c.opaque !== undefined) fields += `, opaque="${c.opaque}"`;
    return fields;
  }
}
