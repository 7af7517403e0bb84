/**
 * A real HTTP server for the interop tests: routing-controllers on Express or Koa, listening on
 * 127.0.0.1 with an ephemeral port, protected by Digest (MD5, SHA-256, both), Basic and Bearer.
 * Clients nobody here wrote (curl, Python requests, Chromium) log in against it.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createExpressServer, createKoaServer, CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, DigestAuth, GetPassword, LoginRequired, TokenAuth, VerifyToken, type AuthCheckers } from '../../src';

export type Driver = 'express' | 'koa';
export const INTEROP_DRIVERS: readonly Driver[] = ['express', 'koa'];

export const REALM = 'interop@example.org';
export const TOKEN = 'interop-token-0123456789';

/** Users of every Basic and Digest route: an ASCII one and one whose name and password are not ASCII. */
export const USERS: Readonly<Record<string, string>> = Object.freeze({
  alice: 'wonderland',
  'jöhn': 'pässword',
});
export const ALICE = { username: 'alice', password: 'wonderland' } as const;
export const JOHN = { username: 'jöhn', password: 'pässword' } as const;

const lookup = (username: string): string | undefined => (Object.prototype.hasOwnProperty.call(USERS, username) ? USERS[username] : undefined);

@DigestAuth({ realm: REALM, algorithm: ['MD5'], qop: 'auth', secret: 'interop-secret' })
class DigestMd5 {
  @GetPassword() password(username: string) {
    return lookup(username);
  }
}

@DigestAuth({ realm: REALM, algorithm: ['SHA-256'], qop: 'auth', secret: 'interop-secret' })
class DigestSha256 {
  @GetPassword() password(username: string) {
    return lookup(username);
  }
}

@DigestAuth({ realm: REALM, algorithm: ['SHA-256', 'MD5'], qop: 'auth', secret: 'interop-secret' })
class DigestMulti {
  @GetPassword() password(username: string) {
    return lookup(username);
  }
}

@BasicAuth({ realm: REALM })
class BasicUsers {
  @GetPassword() password(username: string) {
    return lookup(username);
  }
}

@TokenAuth({ realm: REALM })
class BearerTokens {
  @VerifyToken() verify(token: string) {
    return token === TOKEN ? 'token-user' : null;
  }
}

@JsonController()
class InteropController {
  @Get('/md5/hello') @LoginRequired({ auth: [DigestMd5] }) md5(@CurrentUser() user: string) {
    return { route: 'md5', user };
  }
  @Get('/sha256/hello') @LoginRequired({ auth: [DigestSha256] }) sha256(@CurrentUser() user: string) {
    return { route: 'sha256', user };
  }
  @Get('/multi/hello') @LoginRequired({ auth: [DigestMulti] }) multi(@CurrentUser() user: string) {
    return { route: 'multi', user };
  }
  @Get('/basic/hello') @LoginRequired({ auth: [BasicUsers] }) basic(@CurrentUser() user: string) {
    return { route: 'basic', user };
  }
  @Get('/token/hello') @LoginRequired({ auth: [BearerTokens] }) token(@CurrentUser() user: string) {
    return { route: 'token', user };
  }
}

/** One request as the server saw it, for checks on what a client really sent (e.g. nonce counts). */
export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  status?: number;
  authenticationInfo?: string;
}

export interface InteropServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  driver: Driver;
  /** Every request received so far, in arrival order. */
  seen: SeenRequest[];
  /** Error lines the library logged (there should be none). */
  errors: string[];
  close(): Promise<void>;
}

/** Starts the interop app on `driver` at 127.0.0.1 on a free port. */
export async function startInteropServer(driver: Driver): Promise<InteropServer> {
  const errors: string[] = [];
  const auth = createAuthCheckers<string>([new DigestMd5(), new DigestSha256(), new DigestMulti(), new BasicUsers(), new BearerTokens()], {
    controllers: [InteropController],
    logger: {
      // One process that is never restarted during a run: the in-memory nonce store is exactly right here.
      warn: (m) => /keeps used nonces in memory/.test(m) || errors.push(`warn: ${m}`),
      error: (m) => errors.push(`error: ${m}`),
    },
  });
  const served = await serveApp(driver, auth, [InteropController], (req, res): SeenRequest => {
    const entry: SeenRequest = { method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization };
    res.on('finish', () => {
      entry.status = res.statusCode;
      const info = res.getHeader('authentication-info');
      if (info !== undefined) entry.authenticationInfo = String(info);
    });
    return entry;
  });
  return { url: served.url, driver, seen: served.seen, errors, close: served.close };
}

/**
 * Serves routing-controllers on `driver` with `auth` wired as the documentation says, at 127.0.0.1 on a
 * free port, recording each request as `record` describes it.
 */
export async function serveApp<Entry>(
  driver: Driver,
  auth: AuthCheckers<string>,
  controllers: Function[],
  record: (req: IncomingMessage, res: ServerResponse) => Entry,
): Promise<{ url: string; seen: Entry[]; close(): Promise<void> }> {
  const options = { controllers, authorizationChecker: auth.authorizationChecker, currentUserChecker: auth.currentUserChecker };
  let listener: RequestListener;
  if (driver === 'express') {
    const app = createExpressServer(options);
    auth.useExpress(app);
    listener = app as RequestListener;
  } else {
    const app = createKoaServer(options) as { callback(): RequestListener; middleware: Function[] };
    auth.useKoa(app);
    listener = app.callback();
  }
  const seen: Entry[] = [];
  const server = createServer((req, res) => {
    seen.push(record(req, res));
    listener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Browsers and requests.Session keep connections alive; do not wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

/** The nc value of a Digest `Authorization` header, if any. */
export function ncOf(authorization: string | undefined): string | undefined {
  return authorization && /^Digest\s/i.test(authorization) ? /(?:^|[\s,])nc=("?)([0-9a-fA-F]{8})\1/.exec(authorization)?.[2] : undefined;
}

/** The nonce of a Digest `Authorization` header, if any. */
export function nonceOf(authorization: string | undefined): string | undefined {
  return authorization && /^Digest\s/i.test(authorization) ? /(?:^|[\s,])nonce="([^"]*)"/.exec(authorization)?.[1] : undefined;
}

/** The algorithm of a Digest `Authorization` header (MD5 when absent), if it is Digest. */
export function algorithmOf(authorization: string | undefined): string | undefined {
  if (!authorization || !/^Digest\s/i.test(authorization)) return undefined;
  return /(?:^|[\s,])algorithm=("?)([A-Za-z0-9-]+)\1/.exec(authorization)?.[2]?.toUpperCase() ?? 'MD5';
}

/**
 * A server for the enclosing describe block: started before its tests, closed after them, and
 * checked after each test for lines the library logged (there should be none). The object is
 * filled in by beforeAll, so read it inside tests and hooks.
 */
export function useInteropServer(driver: Driver): InteropServer {
  const server = {} as InteropServer;
  beforeAll(async () => {
    Object.assign(server, await startInteropServer(driver));
  });
  afterEach(() => {
    expect(server.errors).toEqual([]);
  });
  afterAll(async () => {
    await server.close?.();
  });
  return server;
}
