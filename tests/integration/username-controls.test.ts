/**
 * Usernames with control characters (Unicode Cc: C0, DEL, C1 such as U+0085 NEXT LINE; TAB), or
 * U+2028/U+2029, are refused with 401 before any hook, log line or audit event sees them: Basic,
 * and Digest `username` (a quoted-string may carry TAB and obs-text) and `username*` (RFC 8187).
 */
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, DigestAuth, GetPassword, LoginRequired, VerifyPassword, type AuthEvent } from '../../src';
import { computeHa1 } from '../../src/schemes/digest';
import { DRIVERS, recordingLogger } from '../helpers';
import { digestAuthorization, digestChallenge } from '../digest-client';

const PASSWORD = 'pw';
const REALM = 'Controls';

/** Names no account needs, each with what makes it so. */
const BAD_NAMES: [what: string, name: string][] = [
  ['TAB', 'ali\tce'],
  ['NUL', 'alice\u0000'],
  ['LF', 'alice\nadmin logged in'],
  ['DEL', 'alice\u007f'],
  ['U+0085 NEXT LINE (C1)', 'alice\u0085admin'],
  ['U+009F (C1, last)', '\u009falice'],
  ['U+0080 (C1, first)', 'alice\u0080'],
  ['U+2028 LINE SEPARATOR', 'alice\u2028admin'],
  ['U+2029 PARAGRAPH SEPARATOR', 'alice\u2029admin'],
];

/** Names that must keep working: the controls of the table above. */
const GOOD_NAMES = ['alice', 'jöhn doe', 'Jürgen', 'ａｌｉｃｅ', 'пользователь'];

const seen: string[] = [];

@BasicAuth({ realm: REALM })
class BasicUsers {
  // Accepts every name: only the library's refusal can keep a bad one out.
  @VerifyPassword() verify(username: string, password: string) {
    seen.push(username);
    return password === PASSWORD ? username : null;
  }
}

@DigestAuth({ realm: REALM, algorithm: 'SHA-256' })
class DigestUsers {
  @GetPassword() password(username: string) {
    seen.push(username);
    return PASSWORD;
  }
}

@JsonController('/controls')
class ControlsController {
  @Get('/basic') @LoginRequired({ auth: BasicUsers }) basic(@CurrentUser() user: string) {
    return { user };
  }
  @Get('/digest') @LoginRequired({ auth: DigestUsers }) digest(@CurrentUser() user: string) {
    return { user };
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Text as Node sends it in a header: one character per byte, here the bytes of UTF-8. */
const utf8OnTheWire = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe.each(DRIVERS)('usernames with control characters (%s)', (_driver, makeApp) => {
  let events: AuthEvent[];
  let logger: ReturnType<typeof recordingLogger>;
  let app: ReturnType<typeof makeApp>;

  beforeEach(() => {
    seen.length = 0;
    events = [];
    logger = recordingLogger();
    app = makeApp([ControlsController], createAuthCheckers([BasicUsers, DigestUsers], { logger, onEvent: (event) => events.push(event) }));
  });

  /** 401, no hook call, no log line, no event that holds the name. */
  const expectRefusedUnseen = async (res: request.Response, name: string) => {
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_AUTH_UNAUTHENTICATED' });
    expect(seen).toEqual([]);
    await nextTurn();
    // (Digest's start-up warning about its random secret is no request's line.)
    expect(logger.error).not.toHaveBeenCalled();
    expect(logger.lines().join('\n')).not.toContain(JSON.stringify(name).slice(1, -1));
    expect(logger.lines().join('\n')).not.toContain(name);
    expect(events).toEqual([expect.objectContaining({ type: 'rejected', status: 401, reason: 'malformed' })]);
    expect(events[0]).not.toHaveProperty('username');
    expect(JSON.stringify(events)).not.toContain(JSON.stringify(name).slice(1, -1));
  };

  const basic = (name: string, encoding: BufferEncoding = 'utf8') =>
    request(app)
      .get('/controls/basic')
      .set('Authorization', `Basic ${Buffer.from(`${name}:${PASSWORD}`, encoding).toString('base64')}`);

  describe('Basic', () => {
    it.each(BAD_NAMES)('refuses %s in the user-id', async (_what, name) => {
      await expectRefusedUnseen(await basic(name), name);
    });

    it('refuses U+0085 from ISO-8859-1 bytes (the fallback when the bytes are not UTF-8)', async () => {
      // 0x85 alone is not UTF-8: the user-id is read as ISO-8859-1, where it is U+0085.
      await expectRefusedUnseen(await basic('alice\u0085', 'latin1'), 'alice\u0085');
    });

    it.each(GOOD_NAMES)('logs in %s', async (name) => {
      const res = await basic(name);
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { user: name } });
    });
  });

  describe('Digest', () => {
    /** Answers a fresh challenge for `name`, sending the name as `username` (UTF-8 bytes) or `username*`. */
    const digest = async (name: string, form: 'username' | 'username*' | 'latin1') => {
      const challenge = digestChallenge(await request(app).get('/controls/digest'));
      // The challenge's own event (no credentials) is not what the test looks at.
      await nextTurn();
      events.length = 0;
      const ha1 = computeHa1('SHA-256', name, REALM, PASSWORD);
      const wire = form === 'latin1' ? Buffer.from(name, 'latin1').toString('latin1') : utf8OnTheWire(name);
      const auth = digestAuthorization({ challenge, username: wire, password: PASSWORD, ha1, method: 'GET', uri: '/controls/digest', usernameStar: form === 'username*' });
      if (form === 'username*') {
        // The ext-value of the real name (digestAuthorization encoded the wire form).
        const { extValue } = await import('../digest-client');
        auth.header = auth.header.replace(/username\*=[^,]*/, `username*=${extValue(name)}`);
      }
      return request(app).get('/controls/digest').set('Authorization', auth.header);
    };

    // A quoted-string carries only HTAB, SP, VCHAR and obs-text: the C0 controls and DEL cannot be sent in it.
    const quotable = BAD_NAMES.filter(([, name]) => !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(name));

    it.each(quotable)('refuses %s in username', async (_what, name) => {
      await expectRefusedUnseen(await digest(name, 'username'), name);
    });

    it('refuses U+0085 sent as one ISO-8859-1 byte in username', async () => {
      await expectRefusedUnseen(await digest('alice\u0085', 'latin1'), 'alice\u0085');
    });

    it.each(BAD_NAMES)('refuses %s in username*', async (_what, name) => {
      await expectRefusedUnseen(await digest(name, 'username*'), name);
    });

    it.each(GOOD_NAMES.flatMap((name) => [[name, 'username'] as const, [name, 'username*'] as const]))('logs in %s sent as %s', async (name, form) => {
      const res = await digest(name, form);
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { user: name } });
    });
  });
});
