/**
 * curl with an Express or Koa app as its forward proxy: `-x` sends absolute-form request lines
 * (`GET http://example.test/hello HTTP/1.1`) and `--proxy-user` answers the 407's
 * `Proxy-Authenticate` (Basic, or Digest with `--proxy-digest`) in `Proxy-Authorization`.
 */
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, DigestAuth, GetPassword, LoginRequired, VerifyPassword } from '../../src';
import { execFileResult, itWith, probeCurl } from './clients';
import { INTEROP_DRIVERS, serveApp, type Driver } from './server';

const curl = probeCurl();
const it = itWith(curl);

const USERS: Readonly<Record<string, string>> = Object.freeze({ alice: 'wonderland' });

@BasicAuth({ proxy: true, realm: 'proxy' })
class ProxyBasicUsers {
  @VerifyPassword() verify(username: string, password: string) {
    return Object.hasOwn(USERS, username) && USERS[username] === password ? username : null;
  }
}

@DigestAuth({ proxy: true, realm: 'proxy', algorithm: ['SHA-256', 'MD5'], secret: 'proxy-interop-secret' })
class ProxyDigestUsers {
  @GetPassword() password(username: string) {
    return Object.hasOwn(USERS, username) ? USERS[username] : null;
  }
}

@JsonController()
class ProxiedController {
  @Get('/hello') @LoginRequired({ auth: [ProxyBasicUsers] }) hello(@CurrentUser() user: string) {
    return { route: 'basic', user };
  }
  @Get('/digest/hello') @LoginRequired({ auth: [ProxyDigestUsers] }) digest(@CurrentUser() user: string) {
    return { route: 'digest', user };
  }
}

interface Seen {
  url: string;
  proxyAuthorization?: string;
  status?: number;
  proxyAuthenticate?: string;
  proxyAuthenticationInfo?: string;
}

async function startProxy(driver: Driver) {
  const errors: string[] = [];
  const auth = createAuthCheckers<string>([new ProxyBasicUsers(), new ProxyDigestUsers()], {
    controllers: [ProxiedController],
    logger: { warn: (m) => /keeps used nonces in memory/.test(m) || errors.push(m), error: (m) => errors.push(m) },
  });
  const served = await serveApp(driver, auth, [ProxiedController], (req, res): Seen => {
    const entry: Seen = { url: req.url ?? '', proxyAuthorization: req.headers['proxy-authorization'] };
    res.on('finish', () => {
      entry.status = res.statusCode;
      const challenge = res.getHeader('proxy-authenticate');
      if (challenge !== undefined) entry.proxyAuthenticate = ([] as string[]).concat(challenge as string | string[]).join(', ');
      const info = res.getHeader('proxy-authentication-info');
      if (info !== undefined) entry.proxyAuthenticationInfo = String(info);
    });
    return entry;
  });
  return { proxy: served.url, seen: served.seen, errors, close: served.close };
}

/** `curl -x <proxy> … <url>`: the body, then the last status of the exchange. */
async function viaProxy(proxy: string, args: string[], url: string): Promise<{ status: number; body: string }> {
  const result = await execFileResult(curl.command!, ['-s', '-S', '--max-time', '20', '-x', proxy, '-o', '-', '-w', '%{http_code}', ...args, url]);
  if (result.code !== 0) throw new Error(`curl exited with ${result.code}: ${result.stderr}`);
  return { status: Number(result.stdout.slice(-3)), body: result.stdout.slice(0, -3) };
}

beforeAll(() => {
  // eslint-disable-next-line no-console
  if (!curl.problem) console.log(`interop: curl ${curl.version} as a proxy client`);
});

describe.each(INTEROP_DRIVERS)('curl through %s as a forward proxy', (driver) => {
  let server: Awaited<ReturnType<typeof startProxy>>;
  beforeAll(async () => {
    server = await startProxy(driver);
  });
  afterEach(() => expect(server.errors).toEqual([]));
  afterAll(async () => {
    await server.close();
  });

  it('--proxy-user (Basic): absolute-form request, 200 with the body', async () => {
    const from = server.seen.length;
    const res = await viaProxy(server.proxy, ['--proxy-user', 'alice:wonderland'], 'http://example.test/hello');
    expect(res).toEqual({ status: 200, body: JSON.stringify({ route: 'basic', user: 'alice' }) });
    const [request] = server.seen.slice(from);
    expect(request.url).toBe('http://example.test/hello');
    expect(request.proxyAuthorization).toMatch(/^Basic /);
  });

  it('--proxy-user with a wrong password: 407 with Proxy-Authenticate', async () => {
    const from = server.seen.length;
    const res = await viaProxy(server.proxy, ['--proxy-user', 'alice:not-the-password'], 'http://example.test/hello');
    expect(res.status).toBe(407);
    expect(res.body).not.toContain('"user"');
    expect(server.seen.slice(from).map((r) => r.proxyAuthenticate)).toEqual(['Basic realm="proxy"']);
  });

  it('no --proxy-user: 407', async () => {
    const res = await viaProxy(server.proxy, [], 'http://example.test/hello');
    expect(res.status).toBe(407);
  });

  it('--proxy-digest --proxy-user: curl answers the 407 challenge, 200 with Proxy-Authentication-Info', async () => {
    const from = server.seen.length;
    const res = await viaProxy(server.proxy, ['--proxy-digest', '--proxy-user', 'alice:wonderland'], 'http://example.test/digest/hello');
    expect(res).toEqual({ status: 200, body: JSON.stringify({ route: 'digest', user: 'alice' }) });
    const exchange = server.seen.slice(from);
    expect(exchange.map((r) => r.status)).toEqual([407, 200]);
    expect(exchange[0].proxyAuthenticate).toMatch(/^Digest /);
    expect(exchange[1].url).toBe('http://example.test/digest/hello');
    // curl hashes the origin form, though the request line carries the absolute form.
    expect(exchange[1].proxyAuthorization).toMatch(/^Digest .*uri="\/digest\/hello"/);
    expect(exchange[1].proxyAuthenticationInfo).toMatch(/rspauth="[0-9a-f]+"/);
  });

  it('--proxy-digest with a wrong password: 407', async () => {
    const res = await viaProxy(server.proxy, ['--proxy-digest', '--proxy-user', 'alice:nope'], 'http://example.test/digest/hello');
    expect(res.status).toBe(407);
    expect(res.body).not.toContain('"user"');
  });

  it('-u (origin credentials in Authorization) does not get through the proxy', async () => {
    const res = await viaProxy(server.proxy, ['-u', 'alice:wonderland'], 'http://example.test/hello');
    expect(res.status).toBe(407);
  });
});
