import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { CurrentUser, Get, JsonController } from 'routing-controllers';
import { createAuthCheckers, DigestAuth, GetPassword, htdigest, LoginRequired, type DigestAlgorithm, type HookRequest, type Htdigest } from '../../src';
import { digestAuthorization, digestChallenge } from '../digest-client';
import { DRIVERS, recordingLogger } from '../helpers';
import { describeWithApacheUtils, eventually, htdigestTool, tempDirs } from './apache-utils';

/** Issue 9 §4: Apache htdigest files behind a Digest class with useHa1Password. */

const newDir = tempDirs();
const opened: Htdigest[] = [];
afterEach(() => opened.splice(0).forEach((files) => files.close()));

const REALM = 'files@example.org';

@JsonController('/digest-files')
class DigestFilesController {
  @Get('/') @LoginRequired() index(@CurrentUser() user: unknown) {
    return { user };
  }
}

function digestAuthFor(files: Htdigest) {
  @DigestAuth({ realm: REALM, useHa1Password: true })
  class DigestFileUsers {
    // htdigest files hold MD5 HA1s only.
    @GetPassword() ha1(username: string, algorithm: DigestAlgorithm, request: HookRequest) {
      return algorithm === 'MD5' ? files.ha1(username, REALM, request) : undefined;
    }
  }
  return new DigestFileUsers();
}

describeWithApacheUtils.each(DRIVERS)('htdigest() in a Digest class (%s)', (_driver, makeApp) => {
  function setUp() {
    const file = join(newDir(), 'users.htdigest');
    htdigestTool(file, REALM, 'alice', 'wonderland', true);
    htdigestTool(file, 'another realm', 'bob', 'builder');
    htdigestTool(file, REALM, 'jöhn', 'pässwörd');
    const files = htdigest(file, { logger: recordingLogger(), debounceMs: 10, checkIntervalMs: 20 });
    opened.push(files);
    const app = makeApp([DigestFilesController], createAuthCheckers([digestAuthFor(files)], { logger: recordingLogger() }));
    return { app, file, files };
  }

  const attempt = async (app: ReturnType<typeof makeApp>, username: string, password: string, usernameStar = false) => {
    const challenge = digestChallenge(await request(app).get('/digest-files'));
    const { header } = digestAuthorization({ challenge, username, password, method: 'GET', uri: '/digest-files', usernameStar });
    return request(app).get('/digest-files').set('Authorization', header);
  };

  it.each([
    ['alice, ASCII', 'alice', 'wonderland', false],
    ['jöhn, non-ASCII (username*)', 'jöhn', 'pässwörd', true],
  ])('admits %s with the password htdigest stored, refuses a wrong one', async (_name, username, password, star) => {
    const { app } = setUp();
    const ok = await attempt(app, username, password, star);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ user: username });
    expect((await attempt(app, username, `${password}!`, star)).status).toBe(401);
  });

  it('refuses an unknown user and a user of another realm', async () => {
    const { app } = setUp();
    expect((await attempt(app, 'mallory', 'wonderland')).status).toBe(401);
    expect((await attempt(app, 'bob', 'builder')).status).toBe(401);
  });

  it('picks up a user added with htdigest, and keeps the last good version past a broken line', async () => {
    const { app, file, files } = setUp();
    expect((await attempt(app, 'carol', 'secret')).status).toBe(401);
    htdigestTool(file, REALM, 'carol', 'secret');
    await eventually(async () => (await files.ha1('carol', REALM)) !== undefined);
    expect((await attempt(app, 'carol', 'secret')).status).toBe(200);
    appendFileSync(file, 'dave:realm-without-hash\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await attempt(app, 'carol', 'secret')).status).toBe(200);
  });
});
