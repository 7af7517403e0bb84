import express from 'express';
import request from 'supertest';
import { Body, JsonController, Post, useExpressServer } from 'routing-controllers';
import { createAuthCheckers, DigestAuth, GetPassword, LoginRequired } from '../../src';
import { digestAuthorization, digestChallenge } from '../digest-client';
import { recordingLogger } from '../helpers';

@DigestAuth({ secret: 'log-limits', qop: ['auth', 'auth-int'] })
class AuthIntUsers {
  @GetPassword() password(username: string) {
    return username === 'john' ? 'pw' : undefined;
  }
}

@JsonController('/plain-authorized')
class PlainAuthorizedController {
  @Post('/') @LoginRequired() create(@Body() body: unknown) {
    return { body };
  }
}

// Issue 7 item 10: a line a client can trigger is written at most once per kind a minute.
describe('log lines a client can trigger are rate-limited (express)', () => {
  it('logs one line for many auth-int requests whose body could not be captured, and refuses each', async () => {
    const logger = recordingLogger();
    // A body parser of the app's own, in front of every route, reads the body and keeps no copy,
    // so auth-int cannot be checked.
    const auth = createAuthCheckers([new AuthIntUsers()], { logger });
    const app = useExpressServer(express().use(express.json()), { controllers: [PlainAuthorizedController], ...auth });
    auth.useExpress(app);
    const challenge = digestChallenge(await request(app).post('/plain-authorized'));
    const body = '{"a":1}';
    for (let nc = 1; nc <= 6; nc++) {
      const header = digestAuthorization({ challenge, username: 'john', password: 'pw', method: 'POST', uri: '/plain-authorized', qop: 'auth-int', body, nc }).header;
      const res = await request(app).post('/plain-authorized').set('Content-Type', 'application/json').set('Authorization', header).send(body);
      expect(res.status).toBe(401);
    }
    const lines = logger.lines().filter((line) => line.includes('auth-int'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^http-auth: AuthIntUsers: a Digest auth-int request arrived, but its raw body could not be captured/);
  });
});
