import http, { type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';
import { Authorized, createExpressServer, Get, JsonController } from 'routing-controllers';
import { BasicAuth, createAuthCheckers, LoginRequired, VerifyPassword } from '../../src';
import { basicHeader, makeKoaApp, recordingLogger } from '../helpers';

@BasicAuth()
class KeepAliveAuth {
  @VerifyPassword() verify(username: string, password: string) {
    return username === 'john' && password === 'hello' ? username : null;
  }
}

@JsonController('/ka')
@LoginRequired()
class KeepAliveController {
  @Get('/') index() {
    return { ok: true };
  }
}

@JsonController('/ka-authorized')
class KeepAliveAuthorizedController {
  @Get('/') @Authorized() index() {
    return { ok: true };
  }
}

interface Reply {
  status: number;
  reusedSocket: boolean;
  error?: NodeJS.ErrnoException;
}

/** One GET through the agent; resolves with the status, or the socket error. */
function get(agent: http.Agent, port: number, headers: Record<string, string> = {}, path = '/ka'): Promise<Reply> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reusedSocket: req.reusedSocket }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, reusedSocket: req.reusedSocket, error }));
  });
}

/** A real server on an ephemeral port that counts the connections it accepts and sees closed. */
async function serve(listener: http.RequestListener | Express) {
  const server: Server = http.createServer(listener);
  const sockets: Socket[] = [];
  let closed = 0;
  server.on('connection', (socket: Socket) => {
    sockets.push(socket);
    socket.on('close', () => closed++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    port,
    agent,
    connections: () => sockets.length,
    closed: () => closed,
    /** Waits for the server side of the first connection to close, up to `ms`. */
    async firstClosedWithin(ms: number) {
      const first = sockets[0];
      if (!first || first.destroyed) return true;
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        first.once('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
    async close() {
      agent.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** routing-controllers on Express, with or without useExpress; Express's final handler logs as in development. */
function expressApp(useExpress: boolean): Express {
  // Without useExpress the library says so once; that line is not this test's subject.
  const auth = createAuthCheckers([new KeepAliveAuth()], { logger: recordingLogger() });
  const app: Express = createExpressServer({
    controllers: [KeepAliveController, KeepAliveAuthorizedController],
    authorizationChecker: auth.authorizationChecker,
    currentUserChecker: auth.currentUserChecker,
  });
  app.set('env', 'development'); // under NODE_ENV=test Express's final handler would stay silent
  if (useExpress) auth.useExpress(app);
  return app;
}

describe('keep-alive after a 401', () => {
  let consoleError: jest.SpyInstance;
  beforeEach(() => {
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => consoleError.mockRestore());

  it.each([
    ['@LoginRequired()', '/ka'],
    ['@Authorized()', '/ka-authorized'],
  ])('serves a 401 and then a 200 on one keep-alive connection with useExpress on a %s route, and logs nothing', async (_label, path) => {
    const server = await serve(expressApp(true));
    try {
      const first = await get(server.agent, server.port, {}, path);
      expect(first.status).toBe(401);
      expect(await server.firstClosedWithin(100)).toBe(false);
      const second = await get(server.agent, server.port, { Authorization: basicHeader('john', 'hello') }, path);
      expect(second).toEqual({ status: 200, reusedSocket: true });
      expect(server.connections()).toBe(1);
      expect(server.closed()).toBe(0);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      await server.close();
    }
  });

  it('serves several refusals in a row on one connection with useExpress', async () => {
    const server = await serve(expressApp(true));
    try {
      for (let i = 0; i < 5; i++) expect((await get(server.agent, server.port, { Authorization: basicHeader('john', `bad${i}`) })).status).toBe(401);
      expect(server.connections()).toBe(1);
    } finally {
      await server.close();
    }
  });

  // Documents why useExpress exists: routing-controllers hands the answered error to Express,
  // whose final handler logs it and destroys the socket.
  it('loses the connection, and logs the 401, without useExpress', async () => {
    const server = await serve(expressApp(false));
    try {
      const first = await get(server.agent, server.port);
      expect(first.status).toBe(401);
      expect(await server.firstClosedWithin(1000)).toBe(true);
      const second = await get(server.agent, server.port, { Authorization: basicHeader('john', 'hello') });
      // Either the client noticed the close and opened a new connection, or it retried on the dead one.
      if (second.error) {
        expect(second.error.code).toMatch(/ECONNRESET|EPIPE/);
      } else {
        expect(second).toEqual({ status: 200, reusedSocket: false });
        expect(server.connections()).toBe(2);
      }
      expect(consoleError).toHaveBeenCalledWith(expect.stringContaining('AuthenticationError'));
    } finally {
      await server.close();
    }
  });

  it('keeps the connection on Koa, which needs no extra step', async () => {
    const server = await serve(makeKoaApp([KeepAliveController], createAuthCheckers([new KeepAliveAuth()])));
    try {
      expect((await get(server.agent, server.port)).status).toBe(401);
      const second = await get(server.agent, server.port, { Authorization: basicHeader('john', 'hello') });
      expect(second).toEqual({ status: 200, reusedSocket: true });
      expect(server.connections()).toBe(1);
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      await server.close();
    }
  });
});
