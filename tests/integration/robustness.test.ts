import request from 'supertest';
import { Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, TokenAuth, VerifyPassword, VerifyToken } from '../../src';
import { DRIVERS } from '../helpers';

/** Every hostile value carries this secret somewhere; it must never come back or reach a log. */
const SECRET = 'S3cr3t-Pa55w0rd-xyzzy';

@BasicAuth()
class SturdyBasic {
  // Accepts any user with the right password, so only the parser can refuse a value below.
  @VerifyPassword() verify(_username: string, password: string) {
    return password === 'the-real-password' ? { ok: true } : null;
  }
}

@TokenAuth()
class SturdyBearer {
  @VerifyToken() verify(token: string) {
    return token === 'the-real-token' ? { ok: true } : null;
  }
}

@JsonController('/sturdy')
class SturdyController {
  @Get('/basic') @LoginRequired({ auth: SturdyBasic }) basic() {
    return { ok: true };
  }
  @Get('/bearer') @LoginRequired({ auth: SturdyBearer }) bearer() {
    return { ok: true };
  }
}

/** Bytes as Node sends a header string: one byte per char (latin-1). */
const bytes = (buffer: Buffer) => buffer.toString('latin1');
const b64 = (text: string | Buffer) => (typeof text === 'string' ? Buffer.from(text, 'utf8') : text).toString('base64');
const utf8AsBytes = (text: string) => bytes(Buffer.from(text, 'utf8'));

// title, Authorization value, status on a Basic route, status on a Bearer route (RFC 6750 §3.1: 400 for a malformed request)
const HOSTILE: readonly (readonly [string, string, number, number])[] = [
  ['an empty value', '', 401, 401],
  ['spaces only', '     ', 401, 401],
  ['"Basic" alone', 'Basic', 401, 401],
  ['"Bearer" alone', 'Bearer', 401, 400],
  ['"Basic" and spaces', 'Basic      ', 401, 401],
  ['a wrong scheme', `Digest username="john", response="${SECRET}"`, 401, 401],
  ['a scheme word with bad characters', `B@sic ${b64(`john:${SECRET}`)}`, 401, 400],
  ['binary bytes', bytes(Buffer.from([0x80, 0x81, 0xfe, 0xff, 0x9f, 0xa0])) + SECRET, 401, 400],
  ['binary bytes after Basic', `Basic ${bytes(Buffer.from([0xc3, 0x28, 0xff, 0xfe]))}${SECRET}`, 401, 401],
  ['binary bytes after Bearer', `Bearer ${bytes(Buffer.from([0xc3, 0x28, 0xff, 0xfe]))}${SECRET}`, 401, 401],
  ['base64 of binary bytes', `Basic ${b64(Buffer.concat([Buffer.from([0xff, 0xfe, 0x3a]), Buffer.from(SECRET)]))}`, 401, 401],
  ['UTF-8 unicode as the credentials', `Basic ${utf8AsBytes(`ünïcødé 🔑 ${SECRET}`)}`, 401, 401],
  ['UTF-8 unicode as the token', `Bearer ${utf8AsBytes(`ünïcødé 🔑 ${SECRET}`)}`, 401, 401],
  ['a unicode scheme word', `${utf8AsBytes('Bäsic')} ${b64(`john:${SECRET}`)}`, 401, 400],
  ['base64 of unicode credentials', `Basic ${b64(`jöhn🔑:${SECRET}ü`)}`, 401, 401],
  ['a 12 KB base64 value', `Basic ${b64(`john:${SECRET}${'x'.repeat(9000)}`)}`, 401, 401],
  ['a 12 KB run of "A"', `Basic ${'A'.repeat(12000)}`, 401, 401],
  ['a 12 KB token', `Bearer ${SECRET}${'x'.repeat(12000)}`, 401, 401],
  ['a 12 KB value without a scheme', `${SECRET}${'(' .repeat(12000)}`, 401, 400],
  ['URL-safe base64', `Basic ${b64(`john:${SECRET}??>`).replace(/\//g, '_').replace(/\+/g, '-')}`, 401, 401],
  ['unpadded base64', `Basic ${b64(`john:${SECRET}`).replace(/=+$/, '')}`, 401, 401],
  ['non-canonical base64', `Basic ${b64(`john:${SECRET}!`).replace(/(.)==$/, (_m, c: string) => `${String.fromCharCode(c.charCodeAt(0) + 1)}==`)}`, 401, 401],
  ['base64 with broken padding', `Basic ${b64(`john:${SECRET}`)}===`, 401, 401],
  ['padding alone', 'Basic ====', 401, 401],
  ['base64 without a colon', `Basic ${b64(`john${SECRET}`)}`, 401, 401],
  ['a control character in the user', `Basic ${b64(`jo\x01hn:${SECRET}`)}`, 401, 401],
  ['a control character in the password', `Basic ${b64(`john:${SECRET}\x1b[31m`)}`, 401, 401],
  ['DEL in the password', `Basic ${b64(`john:${SECRET}\x7f`)}`, 401, 401],
  ['a NUL byte in the user', `Basic ${b64(`jo\x00hn:${SECRET}`)}`, 401, 401],
  ['a NUL byte in the password', `Basic ${b64(`john:${SECRET}\x00`)}`, 401, 401],
  ['CR LF in the password (header injection)', `Basic ${b64(`john:${SECRET}\r\nX-Injected: 1`)}`, 401, 401],
  ['many spaces before the credentials', `Basic${' '.repeat(4000)}${b64(`john:${SECRET}`)}`, 401, 401],
  ['tabs and spaces before the credentials', `Basic \t \t ${b64(`john:${SECRET}`)}`, 401, 401],
  ['spaces inside the base64', `Basic ${b64(`john:${SECRET}`).replace(/(.{4})/g, '$1 ')}`, 401, 401],
  ['two credentials joined by a comma', `Basic ${b64(`john:${SECRET}`)}, Bearer ${SECRET}`, 401, 401],
  ['a token with spaces inside', `Bearer ${SECRET} and more words`, 401, 401],
  ['a token of quotes and backslashes', `Bearer "${SECRET}\\"`, 401, 401],
  ['auth-params instead of token68', `Basic realm="x", password="${SECRET}"`, 401, 401],
  ['an empty user and password', `Basic ${b64(':')}`, 401, 401],
];

describe.each(DRIVERS)('hostile Authorization values (%s)', (_driver, makeApp) => {
  const app = makeApp([SturdyController], createAuthCheckers([new SturdyBasic(), new SturdyBearer()]));
  const logged: unknown[][] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  let spies: jest.SpyInstance[] = [];

  // Jest 30 also fails the running test on an unhandled rejection by itself; this listener
  // makes the guard explicit and catches rejections that settle after the response.
  beforeAll(() => {
    process.on('unhandledRejection', onRejection);
  });
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
  });
  beforeEach(() => {
    logged.length = 0;
    rejections.length = 0;
    spies = (['error', 'warn', 'log', 'info', 'debug'] as const).map((level) =>
      jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(args);
      }),
    );
  });
  afterEach(async () => {
    // Let any stray promise settle before checking for unhandled rejections.
    await new Promise((resolve) => setImmediate(resolve));
    for (const spy of spies) spy.mockRestore();
    expect(rejections).toEqual([]);
  });

  const secretFree = (res: request.Response) => {
    expect(res.text).not.toContain(SECRET);
    expect(JSON.stringify(res.headers)).not.toContain(SECRET);
    expect(JSON.stringify(logged)).not.toContain(SECRET);
  };

  it.each(HOSTILE)('answers %s on a Basic route with 401 and a Basic challenge', async (_title, value, basicStatus) => {
    const res = await request(app).get('/sturdy/basic').set('Authorization', value);
    expect(res.status).toBe(basicStatus);
    expect(res.headers['www-authenticate']).toBe('Basic realm="Authentication Required"');
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    secretFree(res);
    expect(logged).toEqual([]);
  });

  it.each(HOSTILE)('answers %s on a Bearer route with 401 (400 when malformed), never 500', async (_title, value, _basicStatus, bearerStatus) => {
    const res = await request(app).get('/sturdy/bearer').set('Authorization', value);
    expect(res.status).toBe(bearerStatus);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="Authentication Required"/);
    expect(res.body).toMatchObject({ code: bearerStatus === 400 ? 'ERR_HTTP_AUTH_BAD_REQUEST' : 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    secretFree(res);
    expect(logged).toEqual([]);
  });

  it('still admits the real password next to all this', async () => {
    const res = await request(app).get('/sturdy/basic').set('Authorization', `Basic ${b64('anyone:the-real-password')}`);
    expect(res.status).toBe(200);
  });

  it('answers a request whose hook throws without logging or echoing the secret', async () => {
    @BasicAuth()
    class Throwing {
      @VerifyPassword() verify(_u: string, password: string): never {
        throw new Error(`database down while checking ${password.length} chars`);
      }
    }
    @JsonController('/throwing')
    @LoginRequired()
    class ThrowingController {
      @Get('/') index() {
        return { ok: true };
      }
    }
    const throwingApp = makeApp([ThrowingController], createAuthCheckers([new Throwing()]));
    const res = await request(throwingApp).get('/throwing').set('Authorization', `Basic ${b64(`john:${SECRET}`)}`);
    // A failing hook is a server error, not the client's; what matters here is that nothing leaks.
    expect(res.status).toBe(500);
    secretFree(res);
  });
});
