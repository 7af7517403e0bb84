import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { createTokenIssuer } from '../../src/issuer/create-token-issuer';
import type { TokenIssuer } from '../../src/issuer/types';
import type { TokenIssuerOptions } from '../../src/issuer/options';
import { issuerLinkOf, type IssuerLink } from '../../src/issuer/pairing';
import { MemoryTokenStore } from '../../src/stores/memory-token-store';
import { fromNodeRedis } from '../../src/stores/redis-nonce-store';
import { RedisTokenStore } from '../../src/stores/redis-token-store';
import type { TokenStore } from '../../src/stores/token-store';
import { REDIS_URL } from '../redis';

export const ISSUER = 'https://api.example.test';
export const AUDIENCE = 'https://api.example.test/v1';

export const newEcKey = (): KeyObject => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

/** A logger for the `logger` option that keeps its lines. */
export function quietLogger(): { warn: jest.Mock<void, [string]>; error: jest.Mock<void, [string]> } {
  return { warn: jest.fn<void, [string]>(), error: jest.fn<void, [string]>() };
}

/** An issuer with an ES256 key (one per call unless given), a quiet logger and the given store. */
export function makeIssuer(extra: Partial<TokenIssuerOptions> & { privateKey?: KeyObject } = {}): TokenIssuer {
  return createTokenIssuer({ issuer: ISSUER, audience: AUDIENCE, privateKey: extra.privateKey ?? newEcKey(), logger: quietLogger(), ...extra } as TokenIssuerOptions);
}

export function linkOf(tokens: TokenIssuer): IssuerLink {
  const link = issuerLinkOf(tokens);
  if (!link) throw new Error('no issuer link');
  return link;
}

/** The claims of a compact JWS, unverified (the tests verify with jose where it matters). */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
}

/** `checkAccessToken` of the issuer for an access token it made (claims read unverified: they are the issuer's own). */
export async function stateOf(tokens: TokenIssuer, accessToken: string): Promise<string> {
  return linkOf(tokens).checkAccessToken(claimsOf(accessToken));
}

/** A store and a way to open another connection to the same data (another instance), and to close everything. */
export interface StoreSetup {
  /** A store on a fresh namespace. */
  store(): TokenStore;
  /** Another store object on the same data, as another instance would have (its own connection for Redis). */
  another(): TokenStore;
  end(): Promise<void>;
}

export type StoreKind = readonly [string, (options?: { now?: () => number }) => Promise<StoreSetup>];

export const MEMORY: StoreKind = [
  'MemoryTokenStore',
  async (options = {}) => {
    const store = new MemoryTokenStore({ now: options.now });
    // One process: "another instance" is another issuer object on the same store.
    return { store: () => store, another: () => store, end: async () => undefined };
  },
];

export const REDIS_KINDS: readonly StoreKind[] = [
  [
    'RedisTokenStore (ioredis)',
    async (options = {}) => {
      const keyPrefix = `httpauth-test:tokens:${randomBytes(6).toString('hex')}:`;
      const clients: Redis[] = [];
      const connect = () => {
        const client = new Redis(REDIS_URL);
        clients.push(client);
        return new RedisTokenStore(client, { keyPrefix, now: options.now });
      };
      const first = connect();
      return { store: () => first, another: connect, end: async () => clients.forEach((client) => client.disconnect()) };
    },
  ],
  [
    'RedisTokenStore (node-redis)',
    async (options = {}) => {
      const keyPrefix = `httpauth-test:tokens:${randomBytes(6).toString('hex')}:`;
      const clients: ReturnType<typeof createClient>[] = [];
      const connect = async () => {
        const client = createClient({ url: REDIS_URL });
        client.on('error', () => undefined);
        await client.connect();
        clients.push(client);
        return new RedisTokenStore(fromNodeRedis(client), { keyPrefix, now: options.now });
      };
      const first = await connect();
      const second = await connect();
      return { store: () => first, another: () => second, end: async () => clients.forEach((client) => client.destroy()) };
    },
  ],
];

/** A settable clock (epoch ms) for the issuer and the memory store. */
export function clock(start = Date.now()): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
