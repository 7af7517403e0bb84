import { assertPlainOptions } from '../config';
import { HttpAuthError } from '../errors';
import { rateLimitedLog } from '../internal/log';
import { unavailableError } from '../internal/answer-hints';
import { isPromiseLike, type MaybePromise } from '../internal/steps';
import { createKeySource } from '../keys/key-source';
import { isNumericDate } from '../schemes/jwt/claims';
import { MAX_TOKEN_LENGTH, parseCompactJws, type JsonObject } from '../schemes/jwt/compact';
import { signCompactJws } from '../schemes/jwt/sign';
import { createJwtVerifier, type JwtVerification } from '../schemes/jwt/verify';
import type { AccessTokenState, RefreshTokenRecord } from '../stores/token-store';
import { checkSubject, customClaims, parseScope } from './claims';
import { appendSetCookie, resolveCookieOptions, serializeCookie } from './cookies';
import { resolveTokenIssuerOptions, type TokenIssuerOptions } from './options';
import { attachIssuerLink } from './pairing';
import { isIdShape, isRefreshTokenShape, keyedHash, newId, newRefreshToken } from './random-values';
import { deriveKey } from './signing-key';
import { TokenGrantError } from './token-error';
import type { JsonWebKeySet, TokenIssuer, TokenPair } from './types';

/**
 * How long after an access token's `exp` its records (family, subject, revoked `jti`) are kept,
 * and after which `checkAccessToken` refuses it anyway: covers a verifier's clock tolerance
 * (30 s by default).
 */
const MARGIN_MS = 300_000;
const WHERE = 'createTokenIssuer';

/**
 * Issues short-lived JWT access tokens (RFC 9068) and rotating refresh tokens for one API — the
 * habits of Flask-JWT-Extended and djangorestframework-simplejwt, plus refresh-token reuse
 * detection (RFC 9700 §4.14.2), revocation shared by every instance, and cookies safe from CSRF.
 * Signs with `node:crypto` only. Options are checked once (a `TypeError` naming the fix).
 * @example
 * ```ts
 * const tokens = createTokenIssuer({
 *   issuer: 'https://api.example.com',
 *   audience: 'https://api.example.com',
 *   privateKey: JSON.parse(process.env.SIGNING_JWK!),
 *   store: new RedisTokenStore(redis),
 * });
 * const pair = await tokens.issue('alice', { fresh: true, scope: 'articles:read' });
 * ```
 */
export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  const config = resolveTokenIssuerOptions(options, WHERE);
  const { issuer, audience, signing, store, now, accessTtl, refreshTtl } = config;
  const refreshKey = deriveKey(signing.material, 'refresh-token');
  const subjectKey = deriveKey(signing.material, 'subject');
  const log = rateLimitedLog(config.logger);
  const header: JsonObject = Object.freeze({ alg: signing.alg, typ: 'at+jwt', ...(signing.kid !== undefined ? { kid: signing.kid } : {}) });
  const keySet: JsonWebKeySet = Object.freeze({ keys: Object.freeze(signing.publicJwk ? [signing.publicJwk] : []) });
  // revoke() reads its own access tokens with the verifier @JwtAuth uses; the tolerance lets a
  // token that just expired (still accepted by a verifier's clock tolerance) be revoked too.
  const verify = createJwtVerifier(
    { algorithms: [signing.alg], typ: ['application/at+jwt'], issuers: [issuer], audiences: [audience], clockTolerance: MARGIN_MS / 1000 },
    createKeySource({ issuers: [issuer], keys: signing.verification }),
    now,
  );
  let warnedInsecure = config.cookies.secure === false;
  if (warnedInsecure) config.logger.warn(insecureWarning(WHERE));

  const unavailable = (error: unknown): HttpAuthError => {
    const reason = error instanceof Error ? error.message : String(error);
    log.error('token-store', `http-auth: token issuer: the token store failed (${reason}); answering 503`);
    return unavailableError();
  };
  // Every store call: a failure becomes the 503, never a success.
  const guarded = async <T>(call: () => MaybePromise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      throw unavailable(error);
    }
  };

  const accessToken = (record: Omit<RefreshTokenRecord, 'consumed' | 'expiresAt'>, scope: string, fresh: boolean, at: number): string => {
    const iat = Math.floor(at / 1000);
    // The app's claims first: nothing of theirs can replace what the issuer sets (checked at issue, and again here).
    const payload: JsonObject = {
      ...(record.claims === '' ? {} : (JSON.parse(record.claims) as JsonObject)),
      iss: issuer,
      sub: record.subject,
      aud: audience,
      exp: iat + accessTtl,
      iat,
      jti: newId(),
      ...(record.clientId !== '' ? { client_id: record.clientId } : {}),
      ...(scope !== '' ? { scope } : {}),
      sid: record.family,
      ...(fresh ? { fresh: true } : {}),
      csrf: newId(),
    };
    return signCompactJws(header, payload, signing.alg, signing.key);
  };

  const pair = (access: string, refresh: string, scope: string): TokenPair =>
    Object.freeze({ access_token: access, refresh_token: refresh, token_type: 'Bearer' as const, expires_in: accessTtl, ...(scope !== '' ? { scope } : {}) });

  // The family and subject records outlive every token of the family, by the margin.
  const keepUntil = (at: number): number => Math.max(at + refreshTtl * 1000, (Math.floor(at / 1000) + accessTtl) * 1000) + MARGIN_MS;

  const tokens: TokenIssuer = {
    async issue(subject, issueOptions) {
      const where = 'tokens.issue';
      const sub = checkSubject(subject, where);
      const o = assertPlainOptions(issueOptions, ['claims', 'scope', 'fresh', 'clientId'], where);
      const claims = customClaims(o.claims, where);
      const scope = o.scope === undefined ? [] : parseScope(o.scope);
      if (!scope) throw new TypeError(`http-auth: ${where}: scope must be a space-separated string or an array of scope tokens (RFC 6749 §3.3), e.g. "articles:read articles:write"`);
      if (o.fresh !== undefined && typeof o.fresh !== 'boolean') throw new TypeError(`http-auth: ${where}: fresh must be true or false`);
      // eslint-disable-next-line no-control-regex
      if (o.clientId !== undefined && (typeof o.clientId !== 'string' || o.clientId === '' || o.clientId.length > 256 || /[\x00-\x1f\x7f]/.test(o.clientId))) {
        throw new TypeError(`http-auth: ${where}: clientId must be a non-empty string of at most 256 characters, e.g. "web-app"`);
      }
      const at = now();
      const refreshToken = newRefreshToken();
      const record = { family: newId(), subject: sub, scope: scope.join(' '), clientId: (o.clientId as string | undefined) ?? '', claims, expiresAt: at + refreshTtl * 1000 };
      // Recorded before anything is signed: a token the store does not know is never handed out.
      await guarded(() => store.createLogin({ hash: keyedHash(refreshKey, refreshToken), record, keepUntil: keepUntil(at), subjectKey: keyedHash(subjectKey, sub), epoch: newId() }));
      return pair(accessToken(record, record.scope, o.fresh === true, at), refreshToken, record.scope);
    },

    async refresh(refreshToken, refreshOptions) {
      const o = assertPlainOptions(refreshOptions, ['scope'], 'tokens.refresh');
      if (refreshToken === undefined || refreshToken === null || refreshToken === '') throw new TokenGrantError('missing');
      // An access token, or anything else not made here, is refused before any store call.
      if (typeof refreshToken !== 'string' || !isRefreshTokenShape(refreshToken)) throw new TokenGrantError('malformed');
      const asked = o.scope === undefined || o.scope === null || o.scope === '' ? undefined : parseScope(o.scope);
      if (asked === undefined && !(o.scope === undefined || o.scope === null || o.scope === '')) throw new TokenGrantError('scope_invalid');
      const hash = keyedHash(refreshKey, refreshToken);
      const found = await guarded(() => store.findRefreshToken(hash));
      const at = now();
      if (!found) throw new TokenGrantError('unknown');
      if (found.expiresAt <= at) throw new TokenGrantError('expired');
      const granted = found.scope === '' ? [] : found.scope.split(' ');
      // A consumed token goes on to the store, whatever it asks for: its reuse revokes the family.
      if (!found.consumed && asked && !asked.every((scope) => granted.includes(scope))) throw new TokenGrantError('scope_widened');
      const next = newRefreshToken();
      // RFC 6749 §6: the new refresh token keeps the scope granted at login; only the access token narrows.
      const record = { family: found.family, subject: found.subject, scope: found.scope, clientId: found.clientId, claims: found.claims, expiresAt: at + refreshTtl * 1000 };
      const result = await guarded(() => store.rotateRefreshToken(hash, { hash: keyedHash(refreshKey, next), record, keepUntil: keepUntil(at) }));
      if (result !== 'rotated') {
        if (result === 'reused') log.warn('token-reuse', 'http-auth: token issuer: a consumed refresh token was presented again; every token of its login is revoked (RFC 9700 §4.14.2)');
        throw new TokenGrantError(result);
      }
      const scope = asked ? asked.join(' ') : found.scope;
      return pair(accessToken(record, scope, false, at), next, scope);
    },

    async revoke(token) {
      if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return false;
      if (isRefreshTokenShape(token)) return guarded(() => store.revokeFamilyOf(keyedHash(refreshKey, token)));
      const verified = (await verify(token)) as JwtVerification;
      if (!verified.ok || !isIdShape(verified.claims.jti) || !isNumericDate(verified.claims.exp)) return false;
      const { jti, exp } = verified.claims as { jti: string; exp: number };
      await guarded(() => store.revokeAccessToken(jti, exp * 1000 + MARGIN_MS));
      return true;
    },

    async revokeAll(subject) {
      const sub = checkSubject(subject, 'tokens.revokeAll');
      await guarded(() => store.revokeSubject(keyedHash(subjectKey, sub), newId()));
    },

    jwks: () => keySet,

    setCookies(response, tokenPair, cookieOptions) {
      const where = 'tokens.setCookies';
      const cookies = resolveCookieOptions(cookieOptions, config.cookies, where);
      if (!cookies.secure && !warnedInsecure) {
        warnedInsecure = true;
        config.logger.warn(insecureWarning(where));
      }
      const { access_token: access, refresh_token: refresh, expires_in: expiresIn } = (tokenPair ?? {}) as Partial<TokenPair>;
      if (typeof access !== 'string' || typeof refresh !== 'string' || !isRefreshTokenShape(refresh) || !Number.isSafeInteger(expiresIn) || expiresIn! < 1) {
        throw new TypeError(`http-auth: ${where}: pair must be what tokens.issue() or tokens.refresh() returned`);
      }
      const jws = parseCompactJws(access);
      const csrf = typeof jws === 'string' ? undefined : jws.payload.csrf;
      if (!isIdShape(csrf)) throw new TypeError(`http-auth: ${where}: pair.access_token is not an access token of a token issuer (no csrf claim)`);
      appendSetCookie(response, [cookies.accessCookie, cookies.refreshCookie, cookies.csrfCookie], [
        serializeCookie(cookies.accessCookie, access, expiresIn!, cookies.path, true, cookies),
        serializeCookie(cookies.refreshCookie, refresh, refreshTtl, cookies.refreshPath, true, cookies),
        serializeCookie(cookies.csrfCookie, csrf, expiresIn!, cookies.path, false, cookies),
      ], where);
    },

    clearCookies(response, cookieOptions) {
      const where = 'tokens.clearCookies';
      const cookies = resolveCookieOptions(cookieOptions, config.cookies, where);
      appendSetCookie(response, [cookies.accessCookie, cookies.refreshCookie, cookies.csrfCookie], [
        serializeCookie(cookies.accessCookie, '', 0, cookies.path, true, cookies),
        serializeCookie(cookies.refreshCookie, '', 0, cookies.refreshPath, true, cookies),
        serializeCookie(cookies.csrfCookie, '', 0, cookies.path, false, cookies),
      ], where);
    },
  };

  const checkAccessToken = (claims: Readonly<Record<string, unknown>>): MaybePromise<AccessTokenState> => {
    const { jti, sid, exp, iss } = claims ?? {};
    // Only tokens this issuer made carry both ids; anything else is not ours to honour.
    if (iss !== issuer || !isIdShape(jti) || !isIdShape(sid) || !isNumericDate(exp)) return 'revoked';
    // Past the margin, a revocation record may be gone: refuse rather than ask.
    if (now() > exp * 1000 + MARGIN_MS) return 'revoked';
    let state: MaybePromise<AccessTokenState>;
    try {
      state = store.accessTokenState(jti, sid);
    } catch (error) {
      throw unavailable(error);
    }
    if (!isPromiseLike(state)) return state === 'active' ? 'active' : 'revoked';
    return Promise.resolve(state).then(
      (answer) => (answer === 'active' ? 'active' : 'revoked'),
      (error: unknown) => {
        throw unavailable(error);
      },
    );
  };

  attachIssuerLink(tokens, { issuer, audience, algorithms: Object.freeze([signing.alg]), keys: signing.verification, checkAccessToken });
  return Object.freeze(tokens);
}

const insecureWarning = (where: string): string =>
  `http-auth: ${where}: cookies.secure is false: browsers will send the token cookies over plain HTTP, where anyone on the network can read them; use it for local development only`;
