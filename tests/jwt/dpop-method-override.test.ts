/**
 * DPoP's `htm` is the method of the request line, whatever a method override makes of it (as
 * Digest's A2), for both classes that check proofs: Express with the real method-override
 * middleware in front of the routes, `POST` with `X-HTTP-Method-Override: DELETE`. A proof for the
 * overridden method is refused; the proof for the method the client sent passes (control), and the
 * router still dispatches the overridden method.
 */
import express from 'express';
import methodOverride from 'method-override';
import request from 'supertest';
import { Delete, JsonController, Post, useExpressServer } from 'routing-controllers';
import { AuthenticationFailure, createAuthCheckers, ErrorHandler, LoginRequired, type Action, type AuthFailureStatus } from '../../src';
import { recordingLogger } from '../helpers';
import { AUDIENCE } from '../schemes/jwt/tokens';
import { dpopHeaders, proofMaker } from './dpop-fixtures';
import { KINDS, startDpopKinds, type DpopKinds, type Kind } from './dpop-kinds';

let kinds: DpopKinds;
beforeAll(async () => {
  kinds = await startDpopKinds();
});
afterAll(() => kinds.close());

const proof = proofMaker(AUDIENCE, '/override/item');

function overrideApp(kind: Kind) {
  class OverrideAuth {
    @ErrorHandler() onError(status: AuthFailureStatus, _action: Action, failure?: AuthenticationFailure) {
      return { status, reason: failure?.code ?? null };
    }
  }
  kinds.decorate(kind, OverrideAuth, { resource: AUDIENCE, dpop: 'required' });
  @JsonController('/override')
  class OverrideController {
    @Post('/item') @LoginRequired({ auth: OverrideAuth }) create() {
      return { did: 'create' };
    }
    @Delete('/item') @LoginRequired({ auth: OverrideAuth }) remove() {
      return { did: 'delete' };
    }
  }
  const checkers = createAuthCheckers([OverrideAuth], { logger: recordingLogger(), controllers: [OverrideController] });
  const app = express();
  app.use(methodOverride('X-HTTP-Method-Override'));
  useExpressServer(app, { controllers: [OverrideController], authorizationChecker: checkers.authorizationChecker, currentUserChecker: checkers.currentUserChecker });
  checkers.useExpress(app);
  return app;
}

describe.each(KINDS)('DPoP and a method override (%s)', (kind) => {
  const send = (htm: string, override: string | undefined) => {
    const token = kinds.boundToken(kind);
    const headers = dpopHeaders(token, proof({ method: htm, accessToken: token }));
    let req = request(overrideApp(kind)).post('/override/item');
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value as string);
    return override ? req.set('X-HTTP-Method-Override', override) : req;
  };

  it('refuses a proof for the overridden method (htm DELETE on a POST request line)', async () => {
    const res = await send('DELETE', 'DELETE');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ status: 401, reason: 'dpop_htm_mismatch' });
  });

  it.each([
    ['the request line method, overridden to DELETE', 'DELETE', { did: 'delete' }],
    ['the request line method, no override', undefined, { did: 'create' }],
  ] as const)('accepts a proof for %s (control)', async (_name, override, body) => {
    const res = await send('POST', override);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(body);
  });
});
