import { randomBytes } from 'node:crypto';
import {
  computeDigestResponse,
  computeHa1,
  digestHash,
  userhash as hashUsername,
  type DigestAlgorithm,
  type DigestQop,
} from '../src/schemes/digest';

/**
 * A small Digest client for tests (RFC 7616), built on the library's hash arithmetic but with its
 * own header parsing and formatting, so that a parser bug in the library cannot hide itself.
 */

/** One parsed challenge or `Authentication-Info` value. */
export interface ParsedParams {
  /** The scheme word (`Digest`); empty for `Authentication-Info`, which has none. */
  scheme: string;
  /** Names lower-cased, values unquoted and unescaped. */
  params: Record<string, string>;
}

export interface DigestChallenge extends ParsedParams {
  realm: string;
  nonce: string;
  opaque?: string;
  algorithm?: string;
  /** The offered qop values, split on commas; absent in RFC 2069 mode. */
  qop?: string[];
  stale: boolean;
}

// auth-param = token BWS "=" BWS ( token / quoted-string ), as in RFC 9110 §11.2.
const PARAM = /\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([!#$%&'*+\-.^_`|~0-9A-Za-z]+))\s*(?:,|$)/y;

/** Parses `[scheme SP] name=value, name="value", …`; throws on anything it cannot read. */
export function parseParams(value: string, withScheme = true): ParsedParams {
  let rest = value;
  let scheme = '';
  if (withScheme) {
    const match = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s+/.exec(value);
    if (!match) throw new Error(`no scheme in ${JSON.stringify(value)}`);
    scheme = match[1];
    rest = value.slice(match[0].length);
  }
  const params: Record<string, string> = {};
  PARAM.lastIndex = 0;
  while (PARAM.lastIndex < rest.length) {
    const start = PARAM.lastIndex;
    const match = PARAM.exec(rest);
    if (!match) throw new Error(`cannot parse ${JSON.stringify(rest.slice(start))} in ${JSON.stringify(value)}`);
    const name = match[1].toLowerCase();
    if (name in params) throw new Error(`${name} given twice in ${JSON.stringify(value)}`);
    params[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3];
  }
  return { scheme, params };
}

/** Parses one `WWW-Authenticate` field carrying a Digest challenge. */
export function parseChallenge(field: string): DigestChallenge {
  const parsed = parseParams(field);
  const { params } = parsed;
  if (params.realm === undefined || params.nonce === undefined) throw new Error(`not a Digest challenge: ${field}`);
  return {
    ...parsed,
    realm: params.realm,
    nonce: params.nonce,
    opaque: params.opaque,
    algorithm: params.algorithm,
    qop: params.qop?.split(',').map((q) => q.trim()),
    stale: params.stale?.toLowerCase() === 'true',
  };
}

/** The raw `name: value` header fields of a supertest response, as sent (Node joins repeats). */
export function rawHeaderFields(res: object, name: string): string[] {
  // superagent keeps Node's IncomingMessage on `res.res`; its types do not declare it.
  const raw = (res as { res: { rawHeaders: string[] } }).res.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name.toLowerCase()) out.push(raw[i + 1]);
  return out;
}

/** Every Digest challenge of a response, one per `WWW-Authenticate` field, in order. */
export function digestChallenges(res: object, scheme = 'Digest'): DigestChallenge[] {
  return rawHeaderFields(res, 'www-authenticate')
    .filter((field) => field.toLowerCase().startsWith(`${scheme.toLowerCase()} `))
    .map(parseChallenge);
}

/** The first Digest challenge of a response; throws when there is none. */
export function digestChallenge(res: object, scheme = 'Digest'): DigestChallenge {
  const [first] = digestChallenges(res, scheme);
  if (!first) throw new Error(`no ${scheme} challenge in ${JSON.stringify(rawHeaderFields(res, 'www-authenticate'))}`);
  return first;
}

/** The parameters of the `Authentication-Info` header, or undefined when there is none. */
export function authenticationInfo(res: object): Record<string, string> | undefined {
  const fields = rawHeaderFields(res, 'authentication-info');
  if (fields.length === 0) return undefined;
  if (fields.length > 1) throw new Error(`Authentication-Info sent ${fields.length} times`);
  return parseParams(fields[0], false).params;
}

/** RFC 8187 ext-value of a string: `UTF-8''` and the percent-encoded UTF-8 bytes. */
export function extValue(value: string): string {
  const attrChar = /[A-Za-z0-9!#$&+\-.^_`|~]/;
  let out = "UTF-8''";
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && attrChar.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const QUOTED = new Set(['username', 'realm', 'nonce', 'uri', 'response', 'cnonce', 'opaque']);
const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

export interface DigestAuthInput {
  /** The challenge answered; its realm, nonce, opaque, algorithm and qop are the defaults. */
  challenge: Pick<DigestChallenge, 'realm' | 'nonce' | 'opaque' | 'algorithm' | 'qop'>;
  username: string;
  password: string;
  /** The method that goes into the hash (normally the request's). */
  method: string;
  /** The `uri` field, and what goes into the hash. */
  uri: string;
  /** @default the challenge's algorithm, else MD5 */
  algorithm?: DigestAlgorithm;
  /** `null` sends no qop (RFC 2069). @default the first offered qop, or none when none is offered */
  qop?: DigestQop | string | null;
  /** A number is formatted as 8 hex digits; a string is sent as is. @default 1 */
  nc?: number | string;
  /** @default random hex */
  cnonce?: string;
  /** The entity body for `auth-int`. @default empty */
  body?: string | Uint8Array;
  /** The realm used in HA1 (the `realm` field is the challenge's unless overridden in `fields`). */
  hashRealm?: string;
  /** A stored HA1 to use instead of H(username:realm:password). */
  ha1?: string;
  /** Send the username as `username*` in RFC 8187 form. */
  usernameStar?: boolean;
  /** Send H(username:realm) and `userhash=true` (RFC 7616 §3.4.4). */
  userhash?: boolean;
  /** Replace fields after computing the response: a string is sent (quoted where usual), `null` drops the field. */
  fields?: Record<string, string | null>;
  /** Raw text appended after the fields, e.g. `, realm="again"` to duplicate one. */
  append?: string;
  /** Send the `algorithm` field. @default true */
  sendAlgorithm?: boolean;
}

export interface DigestAuthorization {
  /** The whole `Authorization` value. */
  header: string;
  algorithm: DigestAlgorithm;
  qop?: string;
  nc?: string;
  cnonce?: string;
  /** The base HA1 used (before any -sess step). */
  ha1: string;
  response: string;
  /** The `rspauth` a correct server answers with (RFC 7616 §3.5; qop=auth). */
  expectedRspauth?: string;
}

const formatNc = (nc: number | string) => (typeof nc === 'number' ? nc.toString(16).padStart(8, '0') : nc);

/** Builds an `Authorization: Digest …` value answering a challenge. */
export function digestAuthorization(input: DigestAuthInput): DigestAuthorization {
  const { challenge, username, password, method, uri } = input;
  const algorithm = input.algorithm ?? ((challenge.algorithm as DigestAlgorithm | undefined) ?? 'MD5');
  const qop = input.qop === undefined ? challenge.qop?.[0] : input.qop ?? undefined;
  const nc = qop === undefined ? undefined : formatNc(input.nc ?? 1);
  const cnonce = input.cnonce ?? (qop !== undefined || algorithm.endsWith('-sess') ? randomBytes(8).toString('hex') : undefined);
  const realm = input.hashRealm ?? challenge.realm;
  const ha1 = input.ha1 ?? computeHa1(algorithm, username, realm, password);
  const known = qop === 'auth' || qop === 'auth-int' || qop === undefined;
  const bodyHash = qop === 'auth-int' ? digestHash(algorithm, input.body ?? '') : undefined;
  // An unknown qop cannot be hashed by the spec; any well-formed hex stands in for the response.
  const response = known
    ? computeDigestResponse({ algorithm, ha1, nonce: challenge.nonce, nc, cnonce, qop: qop as DigestQop | undefined, method, uri, bodyHash })
    : digestHash(algorithm, 'unknown qop');
  const expectedRspauth =
    qop === 'auth' ? computeDigestResponse({ algorithm, ha1, nonce: challenge.nonce, nc, cnonce, qop, method: '', uri }) : undefined;

  const fields: [string, string][] = [];
  if (input.userhash) fields.push(['username', hashUsername(algorithm, username, realm)]);
  else if (input.usernameStar) fields.push(['username*', extValue(username)]);
  else fields.push(['username', username]);
  fields.push(['realm', challenge.realm], ['nonce', challenge.nonce], ['uri', uri]);
  if (input.sendAlgorithm !== false) fields.push(['algorithm', algorithm]);
  if (qop !== undefined) fields.push(['qop', qop], ['nc', nc!], ['cnonce', cnonce!]);
  else if (cnonce !== undefined && input.cnonce !== undefined) fields.push(['cnonce', cnonce]);
  fields.push(['response', response]);
  if (challenge.opaque !== undefined) fields.push(['opaque', challenge.opaque]);
  if (input.userhash) fields.push(['userhash', 'true']);

  for (const [name, value] of Object.entries(input.fields ?? {})) {
    const index = fields.findIndex(([n]) => n === name);
    if (value === null) {
      if (index >= 0) fields.splice(index, 1);
    } else if (index >= 0) fields[index] = [name, value];
    else fields.push([name, value]);
  }
  const text = fields.map(([name, value]) => `${name}=${QUOTED.has(name) ? quote(value) : value}`).join(', ');
  return {
    header: `Digest ${text}${input.append ?? ''}`,
    algorithm,
    qop,
    nc,
    cnonce,
    ha1,
    response,
    expectedRspauth,
  };
}
