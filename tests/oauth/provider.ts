import { execFile, fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A real authorization server (oidc-provider, in a child process) and a real client (oauth4webapi,
 * in a child process per token) for integration tests. Both packages are ESM-only; jest on Node 20
 * cannot load them, plain Node can.
 *
 * @example
 * ```ts
 * const key = signingKey('ES256');
 * const op = await startProvider({ keys: [key] });
 * const token = await op.clientCredentialsToken({ scope: 'articles:read' });
 * await op.restart({ keys: [signingKey('ES256'), key] }); // the new key signs from now on
 * await op.stop();
 * ```
 */
export interface TestProvider {
  /** `http://127.0.0.1:<port>`: the same across restarts. */
  readonly issuer: string;
  /** The provider's real JWK Set URL (`<issuer>/jwks`). */
  readonly jwksUri: string;
  /** The default resource indicator (and so the `aud` of its tokens). */
  readonly resource: string;
  readonly clientId: string;
  /** The client's secret, for a client process of a test's own (e.g. tests/jwt/dpop-client-process.mjs). */
  readonly clientSecret: string;
  /** Runs the client credentials grant through oauth4webapi and returns the access token. */
  clientCredentialsToken(options?: { scope?: string; resource?: string }): Promise<string>;
  /** `<issuer>/token/introspection`: oidc-provider's introspection endpoint (RFC 7662). */
  readonly introspectionEndpoint: string;
  /** Revokes an access token through oauth4webapi (RFC 7009), as its client. */
  revoke(token: string): Promise<void>;
  /** Serves new keys from now on, on the same port; the first of `keys` (or `signingKid`) signs. */
  restart(options: { keys: JsonWebKey[]; signingKid?: string }): Promise<void>;
  stop(): Promise<void>;
}

export interface ProviderOptions {
  /** Private signing JWKs (see `signingKey`); the first signs unless `signingKid` names another. */
  keys?: JsonWebKey[];
  signingKid?: string;
  /** Default `https://api.example.test`. */
  resource?: string;
  /** Scopes the resource server accepts. Default `['articles:read', 'articles:write']`. */
  scopes?: string[];
  /** Seconds. Default 600. */
  accessTokenTTL?: number;
  /** Turns on oidc-provider's DPoP feature: a token request with a proof gets a DPoP-bound token. Default off. */
  dpop?: boolean;
  /** `'opaque'`: access tokens are opaque strings, checked by introspection. Default `'jwt'`. */
  accessTokenFormat?: 'jwt' | 'opaque';
  /** Clients that only introspect: oidc-provider client metadata (`client_id`, `client_secret` or `jwks`, `token_endpoint_auth_method`). */
  resourceServers?: Record<string, unknown>[];
}

const CLIENT_ID = 'test-client';
const CLIENT_SECRET = 'test-client-secret-long-enough-for-hs256-0123456789';

/** A private signing JWK with `kid`, `alg` and `use`, for the provider's key set. */
export function signingKey(alg: 'ES256' | 'RS256' | 'PS256' | 'EdDSA' = 'ES256', kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`): JsonWebKey {
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

function waitForReady(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string; issuer: string }) => {
      if (message.type !== 'ready') return;
      cleanup();
      resolve(message.issuer);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`oidc-provider exited (${code}): ${stderr()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`oidc-provider did not start within 15 s: ${stderr()}`));
    }, 15_000);
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function startProvider(options: ProviderOptions = {}): Promise<TestProvider> {
  const resource = options.resource ?? 'https://api.example.test';
  const config = {
    keys: options.keys ?? [signingKey()],
    signingKid: options.signingKid,
    resource,
    scopes: options.scopes ?? ['articles:read', 'articles:write'],
    accessTokenTTL: options.accessTokenTTL ?? 600,
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }],
    dpop: options.dpop === true,
    accessTokenFormat: options.accessTokenFormat ?? 'jwt',
    resourceServers: options.resourceServers ?? [],
  };
  // execArgv: [] so the child does not inherit jest's or ts-node's flags.
  const child = fork(join(__dirname, 'provider-process.mjs'), [], { execArgv: [], env: { ...process.env, OP_CONFIG: JSON.stringify(config) }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
  const issuer = await waitForReady(child, () => errors);
  const run = promisify(execFile);

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    resource,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    introspectionEndpoint: `${issuer}/token/introspection`,
    async revoke(token) {
      const args = JSON.stringify({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, revoke: token });
      await run(process.execPath, [join(__dirname, 'client-process.mjs'), args], { timeout: 15_000 });
    },
    async clientCredentialsToken({ scope, resource: audience } = {}) {
      const args = JSON.stringify({ issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope, resource: audience ?? resource });
      const { stdout } = await run(process.execPath, [join(__dirname, 'client-process.mjs'), args], { timeout: 15_000 });
      const response = JSON.parse(stdout) as { access_token: string; token_type: string };
      return response.access_token;
    },
    async restart({ keys, signingKid }) {
      const ready = waitForReady(child, () => errors);
      child.send({ type: 'restart', keys, signingKid });
      await ready;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill(), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
