import { resolveJwtOptions, type JwtAuthOptions } from '../../src/authenticators/jwt-options';
import { createKeySource } from '../../src/keys/key-source';
import { createJwtVerifier } from '../../src/schemes/jwt/verify';
import { sleep } from '../keys/jwks-server';
import { signingKey, startProvider, type TestProvider } from './provider';

jest.setTimeout(90_000);

/**
 * Tokens from a real authorization server (oidc-provider), obtained by a real client
 * (oauth4webapi), verified through the provider's real discovery and JWKS endpoints.
 */
describe('JWT access tokens from oidc-provider', () => {
  const keyA = signingKey('ES256', 'key-a');
  const keyB = signingKey('RS256', 'key-b');
  let op: TestProvider;

  beforeAll(async () => {
    op = await startProvider({ keys: [keyA] });
  });
  afterAll(() => op?.stop());

  function verifierFor(keys: Pick<JwtAuthOptions, 'discovery' | 'jwksUri' | 'jwks'>) {
    const log: { kind: string; message: string }[] = [];
    const removed: string[][] = [];
    const config = resolveJwtOptions({ issuer: op.issuer, audience: op.resource, ...keys } as JwtAuthOptions, '@JwtAuth on ApiAuth');
    const source = createKeySource(config, { log: (kind, message) => log.push({ kind, message }), onKeysRemoved: (_, kids) => removed.push([...kids]) });
    return { verify: createJwtVerifier(config, source), log, removed };
  }

  const SOURCES: [string, (provider: TestProvider) => Pick<JwtAuthOptions, 'discovery' | 'jwksUri'>][] = [
    ['discovery', () => ({ discovery: true })],
    ['jwksUri', (provider) => ({ jwksUri: provider.jwksUri })],
  ];

  it.each(SOURCES)('verifies its tokens through %s', async (_, keys) => {
    const { verify } = verifierFor(keys(op));
    const token = await op.clientCredentialsToken({ scope: 'articles:read articles:write' });
    const result = await verify(token);
    expect(result).toMatchObject({
      ok: true,
      header: { alg: 'ES256', typ: 'at+jwt', kid: 'key-a' },
      claims: { iss: op.issuer, aud: op.resource, client_id: op.clientId, sub: op.clientId },
      scopes: ['articles:read', 'articles:write'],
    });
    // Warm: answered synchronously.
    expect(verify(token)).toMatchObject({ ok: true });
  });

  it('refuses its token for another resource (audience)', async () => {
    const { verify } = verifierFor({ jwksUri: op.jwksUri });
    const token = await op.clientCredentialsToken({ scope: 'articles:read', resource: 'https://other.example.test' });
    expect(await verify(token)).toMatchObject({ ok: false, code: 'audience_not_allowed' });
  });

  // unknownKidInterval 1 s: the first token with the new kid is accepted within 1 s + 1 s (the
  // guarantee of issue 16 §3); maxAge 1 s: the removal is learned by the first refresh after a second.
  it.each(SOURCES)('follows a key rotation through %s: a new key is accepted at once, a removed key refused once the cache learned it', async (_, keys) => {
    await op.restart({ keys: [keyA] });
    const { verify, log, removed } = verifierFor({ ...keys(op), jwks: { maxAge: 1, unknownKidInterval: 1 } });
    const oldToken = await op.clientCredentialsToken({ scope: 'articles:read' });
    expect(await verify(oldToken)).toMatchObject({ ok: true, header: { kid: 'key-a' } });

    // A new key, published beside the old one, signs from now on.
    await op.restart({ keys: [keyB, keyA] });
    const newToken = await op.clientCredentialsToken({ scope: 'articles:read' });
    expect(JSON.parse(Buffer.from(newToken.split('.')[0], 'base64url').toString())).toMatchObject({ alg: 'RS256', kid: 'key-b' });
    // Within unknownKidInterval + 1 s, whatever happened in the interval before it.
    expect(await eventually(() => verify(newToken), (result) => result.ok, 2_000)).toMatchObject({ ok: true, header: { kid: 'key-b' } });
    expect(await verify(oldToken)).toMatchObject({ ok: true });

    // The old key is removed: once a refresh has seen that, its tokens are refused.
    await op.restart({ keys: [keyB] });
    expect(await eventually(() => verify(oldToken), (result) => !result.ok, 5_000)).toMatchObject({ ok: false, code: 'key_not_found' });
    expect(await verify(newToken)).toMatchObject({ ok: true });
    expect(removed).toEqual([['key-a']]);
    expect(log.map((line) => line.kind)).toEqual(['keys-rotated', 'keys-rotated']);
    expect(log[1].message).toContain('1 ("key-a") removed');
  });
});

/** Calls `attempt` every 100 ms until `done` holds or `ms` pass; the last result either way. */
async function eventually<T>(attempt: () => T | Promise<T>, done: (result: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await attempt();
    if (done(result) || Date.now() > deadline) return result;
    await sleep(100);
  }
}
